import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryPrometheus

/// The options `fleet` and `import` share: which server, which series, which window.
struct PrometheusOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The Prometheus (or Thanos, Mimir, VictoriaMetrics) base URL, e.g. http://127.0.0.1:9090.", valueName: "url"))
    var prometheus: String

    @Option(help: ArgumentHelp("PromQL selecting memory series in bytes, e.g. 'process_resident_memory_bytes{job=\"api\"}'.", valueName: "promql"))
    var query: String

    @OptionGroup var window: WindowOptions

    @Option(help: ArgumentHelp("Resolution of the range query (e.g. 15s, 30s, 1m).", valueName: "duration"))
    var step: DurationOption = "30s"

    @Option(help: ArgumentHelp("Labels that name each series, comma-separated; series sharing them are one member, its label sets successive runs.", valueName: "labels"))
    var by: String?

    @Option(help: ArgumentHelp("PromQL for each process's start time, to split runs at restarts (default: process_start_time_seconds with the query's matchers; 'none' to use drops only).", valueName: "promql"))
    var startTimeQuery: String?

    @Option(help: ArgumentHelp("Bearer token for the server (default: $LEAK_HISTORY_PROMETHEUS_TOKEN). Prefer the variable: options show in `ps`.", valueName: "token"))
    var bearerToken: String?

    @Option(help: ArgumentHelp("Basic auth as user:password (default: $LEAK_HISTORY_PROMETHEUS_BASIC_AUTH).", valueName: "user:password"))
    var basicAuth: String?

    @Option(help: ArgumentHelp("Time one request may take (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var timeout: DurationOption = "60s"

    @Option(help: ArgumentHelp("Attempts per request; connection failures, 5xx and 429 are retried.", valueName: "n"))
    var attempts = 3

    @Option(help: ArgumentHelp("Requests in flight at once.", valueName: "n"))
    var concurrency = 4

    func validate() throws {
        try window.validate()
        guard (1...20).contains(attempts) else { throw ValidationError("--attempts must be between 1 and 20.") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64.") }
    }

    /// The server with its credentials and limits.
    func server() throws -> PrometheusServer {
        var server = try PrometheusServer(baseURL: prometheus)
        let env = ProcessInfo.processInfo.environment
        let token = bearerToken ?? env["LEAK_HISTORY_PROMETHEUS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let basic = basicAuth ?? env["LEAK_HISTORY_PROMETHEUS_BASIC_AUTH"].flatMap { $0.isEmpty ? nil : $0 }
        if token != nil && basic != nil { throw ValidationError("Give either a bearer token or basic auth, not both.") }
        if let token { server.credentials = .bearer(token) }
        if let basic {
            guard let colon = basic.firstIndex(of: ":"), colon != basic.startIndex else {
                throw ValidationError("--basic-auth must be user:password.")
            }
            server.credentials = .basic(user: String(basic[..<colon]), password: String(basic[basic.index(after: colon)...]))
        }
        server.timeoutSecs = timeout.seconds
        server.attempts = attempts
        server.concurrency = concurrency
        return server
    }

    var byLabels: [String] {
        (by ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The start-time query in force, if any.
    var resolvedStartTimeQuery: String? {
        if let startTimeQuery { return startTimeQuery == "none" || startTimeQuery.isEmpty ? nil : startTimeQuery }
        return StartTimeQuery.derived(from: query)
    }

    /// The window (default: the last 24 hours) and step, checked.
    func range(nowMs: Int64) throws -> (window: TimeWindow, stepMs: Int64) {
        let window = try self.window.window(defaultSpanMs: 86_400_000, nowMs: nowMs)
        let stepMs = step.milliseconds
        guard stepMs >= 1000 else { throw InputError(field: "step", message: "'\(step)' is under the 1 s Prometheus works in") }
        guard window.spanMs / stepMs <= 10_000_000 else {
            throw InputError(field: "step", message: "\(window.spanMs / stepMs) steps in the window; use a longer --step")
        }
        return (window, stepMs)
    }

    /// Reads the memory series (and the start times) and builds the fleet, with progress on a terminal.
    func readFleet(client: PrometheusClient, nowMs: Int64, progressLabel: String) async throws -> FleetRead {
        let (window, stepMs) = try range(nowMs: nowMs)
        let progress = Progress(enabled: standardErrorIsTerminal, label: progressLabel)
        let started = ContinuousClock.now
        let memory = try await client.queryRange(query, fromMs: window.fromMs, toMs: window.toMs, stepMs: stepMs,
                                                 progress: progress.chunks)
        var starts: [PrometheusSeries] = []
        if let startQuery = resolvedStartTimeQuery {
            // A start time's value is the restart's instant: a coarse step finds it (FleetSeriesBuilder).
            starts = try await client.queryRange(startQuery, fromMs: window.fromMs, toMs: window.toMs,
                                                 stepMs: FleetSeriesBuilder.startTimeStepMs(spanMs: window.spanMs, stepMs: stepMs)).series
        }
        progress.finish()
        let fleet = try FleetSeriesBuilder(by: byLabels).build(memory: memory.series, startTimes: starts)
        return FleetRead(window: window, stepMs: stepMs, series: fleet, timing: memory.timing,
                         readSecs: Self.seconds(since: started))
    }

    struct FleetRead {
        var window: TimeWindow
        var stepMs: Int64
        var series: [FleetSeries]
        var timing: PrometheusClient.Timing
        var readSecs: Double
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

/// Runs `body` with a client and shuts it down after, whatever happens; library errors become clear messages.
func withPrometheus<T>(_ options: PrometheusOptions, _ body: (PrometheusClient) async throws -> T) async throws -> T {
    let client: PrometheusClient
    do {
        client = try PrometheusClient(server: try options.server())
    } catch let error as PrometheusError {
        throw CleanExit.failure("error: \(error)")
    } catch let error as InputError {
        throw CleanExit.failure("error: \(error)")
    }
    do {
        let value = try await body(client)
        try? await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        switch error {
        case let error as PrometheusError: throw CleanExit.failure("error: \(error)")
        case let error as InputError: throw CleanExit.failure("error: \(error)")
        default: throw error
        }
    }
}

/// Progress on standard error, only on a terminal.
final class Progress: Sendable {
    let enabled: Bool
    let label: String

    init(enabled: Bool, label: String) {
        self.enabled = enabled
        self.label = label
    }

    var chunks: (@Sendable (Int, Int) -> Void)? {
        guard enabled else { return nil }
        let label = self.label
        return { done, total in
            FileHandle.standardError.write(Data("\r  \(label): \(done)/\(total) requests".utf8))
        }
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
