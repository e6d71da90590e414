import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Debian's Prometheus on a free loopback port over a data directory of its
/// own, for the side-by-side rows: loaded with promtool, stopped at the end.
final class LocalPrometheus {
    let url: String
    private let process: Process

    /// Whether `prometheus` and `promtool` are installed at these paths.
    static func isInstalled(prometheus: String, promtool: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: prometheus) && FileManager.default.isExecutableFile(atPath: promtool)
    }

    /// `promtool tsdb create-blocks-from openmetrics INPUT DATADIR`; returns the seconds it took.
    static func load(openMetrics input: String, into dataDir: String, promtool: String) throws -> Double {
        try Measure.seconds {
            try runTool(promtool, ["tsdb", "create-blocks-from", "openmetrics", "--quiet", input, dataDir])
        }
    }

    /// Starts Prometheus over `dataDir` (no scrape targets, retention long enough for any benchmark data).
    init(prometheus: String, dataDir: String, scratch: ScratchDirectory) throws {
        let port = try Self.freePort()
        let config = scratch.path("prometheus.yml")
        try "global:\n  scrape_interval: 15s\n".write(toFile: config, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: prometheus)
        process.arguments = ["--config.file=\(config)", "--storage.tsdb.path=\(dataDir)", "--web.listen-address=127.0.0.1:\(port)",
                             "--storage.tsdb.retention.time=100y", "--log.level=warn"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        url = "http://127.0.0.1:\(port)"
    }

    /// Waits (at most `seconds`) until `/-/ready` answers 200.
    func waitUntilReady(seconds: Double = 120) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while HTTPGet.fetch("\(url)/-/ready")?.status != 200 {
            guard Date() < deadline, process.isRunning else { throw ValidationError("Prometheus at \(url) did not start") }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    static func runTool(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("\(path) \(arguments.joined(separator: " ")) failed") }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, ok else { throw ValidationError("no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// One blocking HTTP GET on loopback, the same client for our server and for Prometheus.
enum HTTPGet {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 600
        configuration.timeoutIntervalForResource = 600
        return URLSession(configuration: configuration)
    }()

    /// The status and body, or nil when the request failed.
    static func fetch(_ url: String) -> (status: Int, body: Data)? {
        guard let url = URL(string: url) else { return nil }
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        session.dataTask(with: url) { data, response, _ in
            if let data, let response = response as? HTTPURLResponse { box.value = (response.statusCode, data) }
            done.signal()
        }.resume()
        done.wait()
        return box.value
    }

    private final class Box: @unchecked Sendable {
        // @unchecked: written by the completion handler before the semaphore is signalled, read after the wait.
        var value: (Int, Data)?
    }
}
