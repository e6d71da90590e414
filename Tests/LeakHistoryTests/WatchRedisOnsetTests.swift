import Foundation
import Testing
@testable import LeakHistory

/// A real program: Debian's `redis-server`, watched with `leak-history watch
/// --pid`, idle for a while and then fed unique keys. Without a memory limit
/// it grows for as long as it is fed: LEAKING, growing since the feeding
/// began. With `--maxmemory` and an LRU policy it stops at the limit and
/// evicts: not leaking. `.ci/run` installs redis; without it (outside CI) the
/// test says so and passes nothing off as checked.
@Suite(.serialized) struct WatchRedisOnsetTests {
    static var redisServer: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var redisBenchmark: String? {
        ["/usr/bin/redis-benchmark", "/usr/local/bin/redis-benchmark"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A free loopback port (bound, read and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw CLI.CLIError(description: "no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct Outcome {
        var report: LeakReport
        var feedStartMs: Int64
        var watch: CLI.Result
    }

    /// Starts redis (with `extraArguments`), watches it for `idleSecs` idle
    /// and `feedSecs` fed with unique 1 KB keys, and returns the watch's JSON report.
    static func watchRedis(extraArguments: [String], idleSecs: Double, feedSecs: Double, in dir: TemporaryDirectory) throws -> Outcome? {
        guard let server = redisServer, let benchmark = redisBenchmark else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                throw CLI.CLIError(description: "redis-server and redis-benchmark are not installed; .ci/run must install redis-server")
            }
            print("WatchRedisOnsetTests: redis-server is not installed here; skipped (CI installs it)")
            return nil
        }
        let port = try freePort()
        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: server)
        redis.arguments = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--dir", dir.url.path] + extraArguments
        redis.standardOutput = FileHandle.nullDevice
        redis.standardError = FileHandle.nullDevice
        try redis.run()
        defer {
            redis.terminate()
            redis.waitUntilExit()
        }
        // Wait for it to accept connections.
        for _ in 0..<100 {
            if (try? ping(port: port)) == true { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let path = dir.path("redis.sqlite")
        let total = idleSecs + feedSecs
        let watchBox = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let watcher = Thread {
            defer { done.signal() }
            watchBox.result = try? CLI.run(["watch", "--db", path, "--pid", "\(redis.processIdentifier)", "--source", "redis",
                                            "--interval", "250ms", "--duration", "\(Int(total.rounded(.up)))s", "--json"])
        }
        watcher.start()
        Thread.sleep(forTimeInterval: idleSecs)
        let feedStartMs = UnixTime.milliseconds(Date())
        while Double(UnixTime.milliseconds(Date()) - feedStartMs) / 1000 < feedSecs - 0.5 {
            // 3,000 fresh keys of 1 KB: about 4 MB, every 250 ms.
            let feeder = Process()
            feeder.executableURL = URL(fileURLWithPath: benchmark)
            feeder.arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", "set", "-n", "3000", "-d", "1024", "-c", "4",
                                "-r", "1000000000", "-q"]
            feeder.standardOutput = FileHandle.nullDevice
            feeder.standardError = FileHandle.nullDevice
            try feeder.run()
            feeder.waitUntilExit()
            Thread.sleep(forTimeInterval: 0.25)
        }
        done.wait()
        guard let watch = watchBox.result else { throw CLI.CLIError(description: "leak-history watch could not be run") }
        let report = try JSONDecoder().decode(LeakReport.self, from: Data(watch.stdout.utf8))
        return Outcome(report: report, feedStartMs: feedStartMs, watch: watch)
    }

    static func ping(port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    @Test("redis fed unique keys leaks from the moment feeding starts")
    func unboundedRedisLeaksSinceFeeding() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        guard let outcome = try await offThePool({ try Self.watchRedis(extraArguments: [], idleSecs: 10, feedSecs: 14, in: dir) })
        else { return }
        let report = outcome.report
        let trend = try #require(report.trend)
        print("redis unbounded: \(trend.explanation)")
        #expect(report.hasLeaks, "\(trend.explanation)")
        #expect(trend.isLeaking)
        let since = try #require(trend.growingSinceMs)
        let offSecs = Double(since - outcome.feedStartMs) / 1000
        print("redis unbounded: growing_since \(AnalysisText.timestamp(ms: since)), \(String(format: "%+.1f", offSecs)) s from the first key")
        #expect(abs(offSecs) <= 3, "growing_since is \(offSecs) s from the start of feeding")
    }

    @Test("redis with maxmemory and an LRU policy stops at its limit: not leaking")
    func boundedRedisIsNotLeaking() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        guard let outcome = try await offThePool({
            try Self.watchRedis(extraArguments: ["--maxmemory", "12mb", "--maxmemory-policy", "allkeys-lru"],
                                idleSecs: 6, feedSecs: 22, in: dir)
        }) else { return }
        let trend = try #require(outcome.report.trend)
        print("redis with maxmemory: \(trend.explanation)")
        #expect(!outcome.report.hasLeaks, "\(trend.explanation)")
        #expect(trend.status == .notLeaking)
    }
}

private final class ResultBox: @unchecked Sendable {
    // @unchecked: written once by the watcher thread before it signals, read after the wait.
    var result: CLI.Result?
}
