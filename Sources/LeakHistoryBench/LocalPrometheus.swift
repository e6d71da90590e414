import ArgumentParser
import Foundation
import AsyncHTTPClient

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
    /// One client for the whole run, keeping its connections. The timed
    /// rows prefer `CurlTimer`: this client adds 1–2 ms a request on a
    /// 2-core machine (Foundation's URLSession, used before, added some 3 ms,
    /// which flattered every ratio towards 1).
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(600))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// The status and body, or nil when the request failed.
    static func fetch(_ url: String) -> (status: Int, body: Data)? {
        guard let request = try? HTTPClient.Request(url: url),
              let response = try? client.execute(request: request).wait() else { return nil }
        return (Int(response.status.code), response.body.map { Data($0.readableBytesView) } ?? Data())
    }
}

/// Requests timed by curl (Debian's `curl`, where installed): one process,
/// one kept-alive connection to each server, the URLs asked in the order
/// given, each timed by curl's own clock from sending to the last byte. The
/// leanest client at hand, so the figures are the servers' and not a
/// client's (AsyncHTTPClient on this 2-core machine added 1–2 ms a request,
/// competing with the server for the cores).
enum CurlTimer {
    static let path = ["/usr/bin/curl", "/usr/local/bin/curl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Status, body size and seconds of each of `urls`, in order; nil without curl or when it fails.
    static func time(_ urls: [String]) -> [(status: Int, bytes: Int, seconds: Double)]? {
        guard let path, !urls.isEmpty else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-s", "-w", "%{http_code} %{size_download} %{time_total}\\n"] + urls.flatMap { ["-o", "/dev/null", $0] }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let rows = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.split(separator: " ") }
        guard rows.count == urls.count else { return nil }
        let times = rows.compactMap { row -> (Int, Int, Double)? in
            guard row.count == 3, let status = Int(row[0]), let bytes = Int(row[1]), let seconds = Double(row[2]) else { return nil }
            return (status, bytes, seconds)
        }
        return times.count == urls.count ? times : nil
    }
}
