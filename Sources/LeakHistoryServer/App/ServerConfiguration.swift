import Foundation
import LeakHistory

/// What `leak-history serve` runs: the address, the database, access rules and limits.
///
/// ```swift
/// var configuration = ServerConfiguration(databasePath: "leaks.sqlite")
/// configuration.port = 9090
/// configuration.token = ProcessInfo.processInfo.environment["LEAK_HISTORY_TOKEN"]
/// try configuration.validate()
/// let app = try await buildApplication(configuration)
/// try await app.runService()
/// ```
///
/// `validate()` refuses a non-loopback address without a token unless
/// `allowUnauthenticated` is set: anyone who can reach the port could
/// otherwise write into, or clear the baseline of, the history.
public struct ServerConfiguration: Sendable {
    /// The address to bind: loopback by default.
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 picks a free one (the running port is logged and handed to `onServerRunning`).
    public var port: Int = 8080
    /// The SQLite history file; created (mode 0600) when missing.
    public var databasePath: String
    /// When set, POST and DELETE requests need `Authorization: Bearer <token>`.
    public var token: String?
    /// Allows a non-loopback `host` without a token.
    public var allowUnauthenticated: Bool = false
    /// The source of requests that name none, and of event lines that carry none.
    public var defaultSource: String = "default"
    /// Detection settings for reports, trends and metrics.
    public var detection: LeakDetectionConfig = .init()
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int = 8 << 20
    /// Reader connections: requests that read run on this many threads at most.
    public var readerConnections: Int = 4
    /// Concurrent CSV exports at most; each holds its own connection and thread while it streams.
    public var maxConcurrentExports: Int = 4
    /// The window `/metrics` reports over (and the default of the leaks endpoint is the detector's `timeWindowSecs`).
    public var metricsWindowMs: Int64 = 600_000
    /// Components per source `/metrics` lists one by one, the largest by held bytes; the rest
    /// are summed into `leak_history_other_components_bytes`.
    public var metricsTopComponents: Int = 50
    /// Longest time `/metrics` reuses the figures it read while the file is unchanged.
    public var metricsCacheSecs: Double = 10
    /// The most components one source may have in the file; events naming more are refused (400).
    public var maxComponentsPerSource: Int = HistoryWriter.defaultMaxComponentsPerSource
    /// How long a request's write waits for another process's transaction before answering 503.
    public var busyTimeoutMs: Int64 = Int64(HistoryDatabase.defaultBusyTimeoutMilliseconds)
    /// A connection must send a whole request head within this long of opening, or of the last
    /// response ending (which bounds keep-alive idleness too); else 408 and closed.
    public var headerTimeoutMs: Int64 = 10_000
    /// A request body must end within this long of its head; else the connection is closed.
    public var bodyTimeoutMs: Int64 = 60_000
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    public var maxConnections: Int = 512
    /// With a token, GET requests need it too, except `/health` and `/metrics` unless
    /// `protectHealth` / `protectMetrics` (probes and scrapers often carry no token).
    public var protectReads: Bool = false
    public var protectHealth: Bool = false
    public var protectMetrics: Bool = false
    /// How long a streamed export waits for a slow client to take the next chunk before it gives up,
    /// so a stalled download cannot pin a read transaction (and the WAL) for ever.
    public var exportStallTimeoutSecs: Double = 60

    public init(databasePath: String) {
        self.databasePath = databasePath
    }

    /// The shortest token accepted: shorter ones are guessable.
    public static let minimumTokenLength = 16

    /// Throws a `ServerConfigurationError` naming the first setting that cannot work or is unsafe.
    public func validate() throws {
        func fail(_ message: String) -> ServerConfigurationError { ServerConfigurationError(message: message) }
        if databasePath.isEmpty || databasePath == ":memory:" || databasePath.hasPrefix("file::memory:") {
            throw fail("serve needs a database file: an in-memory database is not shared between the server's connections")
        }
        guard (0...65_535).contains(port) else { throw fail("port \(port) is not between 0 and 65535") }
        if host.isEmpty { throw fail("host is empty") }
        if let token {
            if token.count < Self.minimumTokenLength {
                throw fail("the token is \(token.count) characters long; use at least \(Self.minimumTokenLength) (e.g. `openssl rand -hex 32`)")
            }
            if token.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
                throw fail("the token must not contain whitespace or control characters")
            }
        }
        if !Self.isLoopback(host) && token == nil && !allowUnauthenticated {
            throw fail("refusing to bind \(host), which is not a loopback address, without a token: anyone who reaches it could write to the history. Set --token (or LEAK_HISTORY_TOKEN), or pass --allow-unauthenticated if the network is trusted")
        }
        try InputRules.validateName(defaultSource, field: "source")
        try detection.validate()
        guard maxBodyBytes >= 1024 else { throw fail("the body limit must be at least 1 KiB") }
        guard (1...64).contains(readerConnections) else { throw fail("reader connections must be between 1 and 64") }
        guard (1...64).contains(maxConcurrentExports) else { throw fail("concurrent exports must be between 1 and 64") }
        guard metricsWindowMs >= 1000 else { throw fail("the metrics window must be at least 1 s") }
        guard (0...10_000).contains(metricsTopComponents) else { throw fail("the metrics top components must be between 0 and 10,000") }
        guard metricsCacheSecs >= 0 && metricsCacheSecs <= 3600 else { throw fail("the metrics cache age must be between 0 and 3600 s") }
        guard maxComponentsPerSource >= 1 else { throw fail("the component limit must be at least 1") }
        guard (0...3_600_000).contains(busyTimeoutMs) else { throw fail("the busy timeout must be between 0 and 1 h") }
        guard (100...3_600_000).contains(headerTimeoutMs) else { throw fail("the header timeout must be between 100 ms and 1 h") }
        guard (100...3_600_000).contains(bodyTimeoutMs) else { throw fail("the body timeout must be between 100 ms and 1 h") }
        guard (1...100_000).contains(maxConnections) else { throw fail("the connection limit must be between 1 and 100,000") }
        if (protectReads || protectHealth || protectMetrics) && token == nil {
            throw fail("--protect-reads, --protect-health and --protect-metrics need a token (--token or LEAK_HISTORY_TOKEN)")
        }
        if (protectHealth || protectMetrics) && !protectReads {
            throw fail("--protect-health and --protect-metrics apply with --protect-reads")
        }
        guard exportStallTimeoutSecs > 0 else { throw fail("the export stall timeout must be positive") }
    }

    /// Whether `host` names only this machine: `localhost`, `127.0.0.0/8` or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" || bare == "::1" || bare == "0:0:0:0:0:0:0:1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }
}

/// A server setting that cannot work or is unsafe; the message says which and what to do.
public struct ServerConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
