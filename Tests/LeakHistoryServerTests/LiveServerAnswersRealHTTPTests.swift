import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
@testable import LeakHistoryServer

#if canImport(Glibc)
import Glibc
#endif

/// Real HTTP on an ephemeral loopback port: the application in process
/// (Hummingbird's live mode), and `leak-history serve` as a child process
/// that stops cleanly on SIGTERM.
@Suite struct LiveServerAnswersRealHTTPTests {
    @Test func theApplicationOverRealSockets() async throws {
        // This test is about the routes over real sockets. A loaded machine can hold the test
        // between two requests for longer than the default 10 s keep-alive limit, which then
        // closed its connection ("I/O on closed channel"); the timeouts have tests of their own.
        let fixture = try ServerFixture { $0.headerTimeoutMs = 3_600_000 }
        let app = try fixture.application()
        try await app.test(.live) { client in
            #expect(client.port != nil)
            try await client.execute(uri: "/api/v1/memory/events", method: .post, body: ByteBuffer(text: ndjson(leakingHistory()))) { response in
                #expect(response.status == .ok)
                #expect(response.json["stored"] as? Int == 240)
            }
            try await client.execute(uri: "/api/v1/memory/leaks?source=api", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.json["has_leaks"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/memory/export.csv?source=api", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == nil, "streamed, so no length up front")
                #expect(response.text.split(separator: "\r\n").count == 61)
            }
        }
        await fixture.close()
    }

    @Test func serveStartsOnAFreePortAndStopsCleanlyOnSIGTERM() async throws {
        let fixture = try ServerFixture()
        await fixture.close()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--port", "0", "--source", "api"])
        defer { server.kill() }
        let port = try server.waitForPort()
        let nowMs = UnixTime.milliseconds(Date())

        let posted = try RawHTTP.request(port: port, method: "POST", path: "/api/v1/memory/events",
                                         body: ndjson(leakingHistory(endMs: nowMs)), contentType: "application/x-ndjson")
        #expect(posted.status == 200, "\(posted.body)")
        #expect(posted.body.contains(#""stored":240"#))
        let report = try RawHTTP.request(port: port, method: "GET", path: "/api/v1/memory/leaks")
        #expect(report.status == 200)
        #expect(report.body.contains(#""has_leaks":true"#))
        let bad = try RawHTTP.request(port: port, method: "POST", path: "/api/v1/memory/events", body: "{not json")
        #expect(bad.status == 400)
        #expect(bad.body.contains(#""error":"line 1: json: malformed JSON; nothing was stored""#))

        let status = try server.terminate()
        #expect(status == 0, "stderr: \(server.standardError)")
        #expect(server.standardError.contains("closed history database"), "stderr: \(server.standardError)")
        let reader = try HistoryReader(path: fixture.path)
        defer { try? reader.close() }
        #expect(try reader.snapshots(source: "api").count == 60)
    }

    @Test func serveRefusesAPublicAddressWithoutAToken() throws {
        let fixture = try ServerFixture()
        let server = try ServeProcess.start(["serve", "--db", fixture.path, "--host", "0.0.0.0", "--port", "0"],
                                            environment: ["LEAK_HISTORY_TOKEN": ""])
        let status = try server.waitForExit(timeoutSecs: 30)
        #expect(status != 0)
        #expect(server.standardError.contains("--allow-unauthenticated"), "stderr: \(server.standardError)")
    }
}

/// `leak-history serve` as a child process, its output collected as it comes.
final class ServeProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    // Guarded by `lock`: appended by the pipes' reader threads.
    private var out = Data()
    private var err = Data()

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ServeProcess {
        let server = ServeProcess()
        server.process.executableURL = try executable()
        server.process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        server.process.environment = env
        let stdout = Pipe(), stderr = Pipe()
        server.process.standardOutput = stdout
        server.process.standardError = stderr
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            server.lock.withLock { server.out.append(data) }
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            server.lock.withLock { server.err.append(data) }
        }
        try server.process.run()
        return server
    }

    var standardOutput: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// The port from the "listening on http://127.0.0.1:PORT/" line.
    func waitForPort(timeoutSecs: Double = 60) throws -> Int {
        let deadline = Date().addingTimeInterval(timeoutSecs)
        while Date() < deadline {
            if let range = standardOutput.range(of: "listening on http://127.0.0.1:") {
                let digits = standardOutput[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return port }
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServeError(description: "serve did not report its port; stderr: \(standardError)")
    }

    func terminate(timeoutSecs: Double = 20) throws -> Int32 {
        process.terminate()
        return try waitForExit(timeoutSecs: timeoutSecs)
    }

    func waitForExit(timeoutSecs: Double) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeoutSecs)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else { throw ServeError(description: "serve did not exit within \(timeoutSecs) s") }
        // Let the readability handlers take the last bytes.
        Thread.sleep(forTimeInterval: 0.2)
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// The built `leak-history` beside the test bundle.
    static func executable() throws -> URL {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("leak-history")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [arg0, arg0.deletingLastPathComponent()] {
            let candidate = directory.appendingPathComponent("leak-history")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ServeError(description: "leak-history executable not found next to the tests (run `swift build` first)")
    }

    struct ServeError: Error, CustomStringConvertible { let description: String }
}

/// A minimal HTTP/1.1 client over a plain socket: one request, `Connection: close`.
enum RawHTTP {
    struct Reply {
        var status: Int
        var headers: String
        var body: String
    }

    static func request(port: Int, method: String, path: String, body: String = "", contentType: String = "application/json") throws -> Reply {
        let connection = try RawSocket(port: port)
        let fd = connection.fd
        let payload = Array(body.utf8)
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Type: \(contentType)\r\n"
            + "Content-Length: \(payload.count)\r\n\r\n"
        let bytes = Array(head.utf8) + payload
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw ServeProcess.ServeError(description: "send failed") }
            sent += n
        }
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw ServeProcess.ServeError(description: "no HTTP reply: \(text)") }
        let headers = String(text[..<split.lowerBound])
        let status = Int(headers.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Reply(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}
