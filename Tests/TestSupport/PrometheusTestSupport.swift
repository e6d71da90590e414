import Foundation
import LeakHistory
import LeakHistoryPrometheus
import Testing

/// Debian's `prometheus` package (`.ci/run` installs it): the server and promtool.
package enum PrometheusBinaries {
    static package let prometheus: String? = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static package let promtool: String? = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static package var available: Bool { prometheus != nil && promtool != nil }
}

/// Runs blocking work (a child process, a wait) on a Dispatch thread, so the
/// async tests never hold one of the few threads of Swift's cooperative pool
/// that every other test awaits on.
package func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// A loopback port nobody listens on now (bound to 0 and released).
package func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CLI.CLIError(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw CLI.CLIError(description: "bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    guard named == 0 else { throw CLI.CLIError(description: "getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A program running in the background (Prometheus, `leak-history serve`), its output collected.
package final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    // Guarded by `lock`: appended by the pipes' reader threads.
    private var output = Data()

    package init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.withLock { self.output.append(data) }
        }
        try process.run()
    }

    package var text: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    package var isRunning: Bool { process.isRunning }

    /// Waits (bounded) for `needle` in the output.
    package func waitFor(_ needle: String, timeoutSecs: Double = 60) throws -> String {
        let deadline = Date().addingTimeInterval(timeoutSecs)
        while Date() < deadline {
            let now = text
            if let range = now.range(of: needle) { return String(now[range.upperBound...]) }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CLI.CLIError(description: "'\(needle)' did not appear; output: \(text.suffix(2000))")
    }

    /// SIGTERM, then SIGKILL after 10 s; returns once it has exited (Prometheus
    /// and `serve` take well under a second).
    package func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A real Prometheus server on a free loopback port with its own config and data directory.
package final class LocalPrometheus: @unchecked Sendable {
    package let process: BackgroundProcess
    package let url: String

    /// Starts Prometheus on `dataDir` (blocks already there are served) and waits until it answers queries.
    package init(config: String, directory: TemporaryDirectory, dataDir: String) async throws {
        let configPath = directory.path("prometheus.yml")
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        url = "http://127.0.0.1:\(port)"
        process = try BackgroundProcess(PrometheusBinaries.prometheus!, [
            "--config.file=\(configPath)", "--storage.tsdb.path=\(dataDir)",
            "--web.listen-address=127.0.0.1:\(port)", "--storage.tsdb.retention.time=100y",
            "--log.level=warn",
        ])
        var server = try PrometheusServer(baseURL: url)
        server.attempts = 1
        server.timeoutSecs = 2
        let client = try PrometheusClient(server: server)
        defer { Task { try? await client.shutdown() } }
        let deadline = Date().addingTimeInterval(30)
        while true {
            if (try? await client.query("vector(1)", atMs: UnixTime.milliseconds(Date())))?.count == 1 { break }
            guard Date() < deadline, process.isRunning else {
                process.stop()
                throw CLI.CLIError(description: "Prometheus did not start: \(process.text.suffix(2000))")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    package func stop() { process.stop() }

    /// A client with quick retries, for the tests' own queries.
    package func client() throws -> PrometheusClient {
        var server = try PrometheusServer(baseURL: url)
        server.retryPauseSecs = 0.1
        return try PrometheusClient(server: server)
    }
}

/// Runs promtool; returns its status and output.
package func promtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: PrometheusBinaries.promtool!)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A loopback HTTP server that answers each connection with the next scripted
/// reply and closes it, keeping the requests it read: for what a real
/// Prometheus will not do on demand (a 503, a hang, a 401).
package final class ScriptedHTTPServer: @unchecked Sendable {
    package struct Reply {
        package var status: Int
        package var body: String
        /// Seconds to wait before answering.
        package var delaySecs: Double = 0
        /// Reads the request and never answers: holds the connection (and the
        /// connections behind it, unaccepted) until `stop()`.
        package var neverAnswers = false

        package init(status: Int, body: String, delaySecs: Double = 0, neverAnswers: Bool = false) {
            self.status = status
            self.body = body
            self.delaySecs = delaySecs
            self.neverAnswers = neverAnswers
        }

        /// A reply that never comes, however late the client's timer fires.
        package static let never = Reply(status: 0, body: "", neverAnswers: true)
    }

    package let port: Int
    private let fd: Int32
    private let thread: Thread

    package init(_ replies: [Reply]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLI.CLIError(description: "socket() failed") }
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { close(fd); throw CLI.CLIError(description: "bind/listen failed") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let listener = fd
        let box = Box()
        thread = Thread {
            // The thread closes the listener when it is done, so its number is never
            // reused (and accepted on) while it may still be in use here.
            defer { box.closeListener(listener) }
            for reply in replies {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                box.append(ScriptedHTTPServer.readRequest(client))
                if reply.neverAnswers {
                    box.waitUntilStopped()
                    close(client)
                    return
                }
                if reply.delaySecs > 0 { Thread.sleep(forTimeInterval: reply.delaySecs) }
                let body = Array(reply.body.utf8)
                let head = "HTTP/1.1 \(reply.status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                let bytes = Array(head.utf8) + body
                _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
        requestsBox = box
        thread.start()
    }

    private let requestsBox: Box

    /// The raw requests received so far (head and body).
    package var requests: [String] { requestsBox.all }

    /// Makes a waiting accept fail (and ends a reply that never answers); the thread then closes the listener.
    package func stop() { requestsBox.shutDownListener(fd) }

    private final class Box: @unchecked Sendable {
        private let condition = NSCondition()
        private var items: [String] = []  // guarded by `condition`
        private var closed = false  // guarded by `condition`
        private var stopped = false  // guarded by `condition`
        func append(_ s: String) { condition.withLock { items.append(s) } }
        var all: [String] { condition.withLock { items } }
        func closeListener(_ fd: Int32) { condition.withLock { closed = true; close(fd) } }
        func shutDownListener(_ fd: Int32) {
            condition.withLock {
                stopped = true
                condition.broadcast()
                if !closed { shutdown(fd, Int32(SHUT_RDWR)) }
            }
        }
        func waitUntilStopped() { condition.withLock { while !stopped { condition.wait() } } }
    }

    /// Reads one request: the head, then Content-Length bytes of body.
    fileprivate static func readRequest(_ client: Int32) -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while data.count < 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
            let text = String(decoding: data, as: UTF8.self)
            if let split = text.range(of: "\r\n\r\n") {
                let head = text[..<split.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<split.upperBound].utf8.count >= length { return text }
            }
        }
        return String(decoding: data, as: UTF8.self)
    }
}
