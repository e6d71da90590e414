import Foundation
import TestSupport
import Testing

/// Colour only on a terminal that takes it, and plain words for the
/// operating system's common errors, checked on the real executable.
@Suite("CLI: colour and OS errors", .serialized)
struct CLITerminalAndOSErrorsTests {
    /// Runs `arguments` under `script`, which gives the command a pseudo-terminal.
    static func onATerminal(_ arguments: [String], environment: [String]) throws -> String? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return nil }
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "env -u NO_COLOR \(environment.joined(separator: " ")) \(quoted)", "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test("a terminal gets colour; NO_COLOR, TERM=dumb and a pipe do not")
    func colour() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("h.sqlite")
        _ = try CLI.run(["ingest", "--db", db, "-"], stdin: #"{"ts_ms": 1764000000000, "usage_bytes": 1}"#)
        let report = [try CLI.executable.path, "report", "--db", db, "--since", "1h"]
        guard let coloured = try Self.onATerminal(report, environment: ["TERM=xterm-256color"]) else { return }
        #expect(coloured.contains("\u{1B}["), "\(coloured)")
        #expect(try Self.onATerminal(report, environment: ["TERM=dumb"])?.contains("\u{1B}[") == false)
        #expect(try Self.onATerminal(report, environment: ["TERM=xterm-256color", "NO_COLOR=1"])?.contains("\u{1B}[") == false)
        #expect(try !CLI.run(["report", "--db", db, "--since", "1h"], environment: ["TERM": "xterm-256color"]).stdout.contains("\u{1B}["))
    }

    @Test("a busy port is said in plain words, naming the port")
    func busyPort() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = Process()
        first.executableURL = try CLI.executable
        first.arguments = ["serve", "--db", dir.path("h.sqlite"), "--port", "0"]
        let out = Pipe()
        first.standardOutput = out
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer {
            first.terminate()
            first.waitUntilExit()
        }
        // The first line names the port it took.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        let port = try #require(text.split(separator: ":").last.map { $0.prefix { $0.isNumber } }.flatMap { Int($0) }, "\(text)")
        let second = try CLI.run(["serve", "--db", dir.path("h.sqlite"), "--port", "\(port)"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("error: the server on 127.0.0.1:\(port) could not start: the address is already in use: another program listens on port \(port)"),
                "\(second.stderr)")
        #expect(!second.stderr.contains("errno"))
    }
}
