import Foundation
import TestSupport
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
    /// and then about `feedSecs` fed with unique 1 KB keys (the feeding goes on
    /// until the watch has ended), and returns the watch's JSON report.
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
            // SIGKILL: the test needs nothing saved, and redis may take its time over SIGTERM.
            kill(redis.processIdentifier, SIGKILL)
            redis.waitUntilExit()
        }
        // Wait for it to accept connections.
        for _ in 0..<100 {
            if (try? ping(port: port)) == true { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let path = dir.path("redis.sqlite")
        let total = idleSecs + feedSecs
        // The watch writes to files, not pipes: a pipe's write end inherited
        // by another test's long-lived child would keep EOF from ever coming.
        let outPath = dir.path("watch.json"), errPath = dir.path("watch.err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let watch = Process()
        watch.executableURL = try CLI.executable
        watch.arguments = ["watch", "--db", path, "--pid", "\(redis.processIdentifier)", "--source", "redis",
                           "--interval", "250ms", "--duration", "\(Int(total.rounded(.up)))s", "--json"]
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        watch.environment = env
        watch.standardOutput = FileHandle(forWritingAtPath: outPath)
        watch.standardError = FileHandle(forWritingAtPath: errPath)
        watch.standardInput = FileHandle.nullDevice
        try watch.run()
        Thread.sleep(forTimeInterval: idleSecs)
        let feedStartMs = UnixTime.milliseconds(Date())
        // Fed until the watch ends, not for a fixed time: on a loaded machine
        // the watch starts late and so ends late, and a feeder that stopped on
        // its own clock would leave the window a flat tail to judge.
        while watch.isRunning {
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
        watch.waitUntilExit()
        let result = CLI.Result(status: watch.terminationStatus,
                                stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                                stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        guard let report = try? JSONDecoder().decode(LeakReport.self, from: Data(result.stdout.utf8)) else {
            throw CLI.CLIError(description: "watch exited \(result.status) without a JSON report: \(result.stderr)")
        }
        return Outcome(report: report, feedStartMs: feedStartMs, watch: result)
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
