import Foundation
import Testing
@testable import LeakHistoryServer

/// `Resources/openapi.yaml` is checked by an OpenAPI validator that is not
/// ours: `openapi-spec-validator` from PyPI (`.ci/run` installs it; locally
/// `pip install openapi-spec-validator`). The document it checks is the one
/// the server embeds and serves, written out byte for byte.
@Suite struct OpenAPIDocumentPassesAValidatorTests {
    static let validator: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/local/bin"
        return path.split(separator: ":").map { "\($0)/openapi-spec-validator" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func validate(_ yaml: String) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(validator))
        process.arguments = [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func theServedDocumentIsValidOpenAPI() throws {
        guard Self.validator != nil else {
            // CI must run it; elsewhere say plainly that it was not run.
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("openapi-spec-validator is not installed; .ci/run installs it")
            } else {
                print("OpenAPIDocumentPassesAValidatorTests: openapi-spec-validator not installed (pip install openapi-spec-validator); not run")
            }
            return
        }
        let result = try Self.validate(OpenAPIDocument.yaml)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("OK"), "\(result.output)")
    }

    /// The validator is not a rubber stamp: a document with a broken
    /// reference fails it, so the pass above means something.
    @Test func aBrokenDocumentFailsTheValidator() throws {
        guard Self.validator != nil else { return }
        let broken = OpenAPIDocument.yaml.replacingOccurrences(of: "#/components/schemas/TrendVerdict",
                                                               with: "#/components/schemas/NoSuchSchema")
        #expect(broken != OpenAPIDocument.yaml)
        let result = try Self.validate(broken)
        #expect(result.status != 0, "\(result.output)")
    }
}
