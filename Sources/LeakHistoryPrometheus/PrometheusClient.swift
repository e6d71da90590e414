import AsyncHTTPClient
import Foundation
import NIOCore

/// How to reach a Prometheus-compatible server (Prometheus, Thanos, Mimir,
/// VictoriaMetrics: they answer the same `/api/v1` HTTP API).
public struct PrometheusServer: Sendable {
    public enum Credentials: Sendable {
        case none
        case bearer(String)
        case basic(user: String, password: String)
    }

    /// The base URL: `http://127.0.0.1:9090`, or with a path prefix (`https://host/prometheus`).
    public var baseURL: String
    public var credentials: Credentials = .none
    /// Time one request may take, connect to last byte.
    public var timeoutSecs: Double = 60
    /// Attempts per request (connection failures, 5xx, 429 are retried; 4xx never).
    public var attempts: Int = 3
    /// Pause before the second attempt; doubles at each further one.
    public var retryPauseSecs: Double = 0.5
    /// Requests in flight at once.
    public var concurrency: Int = 4
    /// Points per series in one range request: Prometheus refuses more than 11,000.
    public var maxPointsPerSeries: Int = 11_000
    /// Largest answer read into memory.
    public var maxResponseBytes: Int = 1 << 30

    /// Checks the URL; throws `PrometheusError.badServerURL` for anything but http(s)://host[:port][/path].
    public init(baseURL: String) throws {
        var url = baseURL.trimmingCharacters(in: .whitespaces)
        while url.hasSuffix("/") { url.removeLast() }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty,
              parts.query == nil, parts.fragment == nil, parts.user == nil
        else {
            throw PrometheusError.badServerURL(baseURL)
        }
        self.baseURL = url
    }

    func validate() throws {
        guard timeoutSecs > 0, timeoutSecs <= 3600 else { throw PrometheusError.badSetting("timeout must be between 0 and 1 hour") }
        guard (1...20).contains(attempts) else { throw PrometheusError.badSetting("attempts must be between 1 and 20") }
        guard (1...64).contains(concurrency) else { throw PrometheusError.badSetting("concurrency must be between 1 and 64") }
        guard maxPointsPerSeries >= 2 else { throw PrometheusError.badSetting("points per series must be at least 2") }
        guard retryPauseSecs >= 0, retryPauseSecs <= 60 else { throw PrometheusError.badSetting("retry pause must be 0–60 s") }
    }
}

/// What went wrong talking to Prometheus; every message names the server.
public enum PrometheusError: Error, CustomStringConvertible, Equatable {
    case badServerURL(String)
    case badSetting(String)
    case badRange(String)
    /// The server answered with an API error (a bad query, say): not retried.
    case rejected(server: String, status: Int, errorType: String, message: String)
    /// No usable answer after every attempt.
    case unreachable(server: String, attempts: Int, reason: String)
    case malformed(server: String, reason: String)

    public var description: String {
        switch self {
        case .badServerURL(let url):
            return "'\(url)' is not a Prometheus URL (expected http://host:port or https://host/path, without query or credentials)"
        case .badSetting(let message): return message
        case .badRange(let message): return message
        case .rejected(let server, let status, let errorType, let message):
            return "Prometheus at \(server) refused the request (HTTP \(status)\(errorType.isEmpty ? "" : ", \(errorType)")): \(message)"
        case .unreachable(let server, let attempts, let reason):
            return "Prometheus at \(server) gave no answer after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(reason)"
        case .malformed(let server, let reason):
            return "Prometheus at \(server) sent an answer that is not the Prometheus API: \(reason)"
        }
    }
}

/// Reads series from the Prometheus HTTP API.
///
/// ```swift
/// let client = PrometheusClient(server: try PrometheusServer(baseURL: "http://127.0.0.1:9090"))
/// defer { Task { try await client.shutdown() } }
/// let series = try await client.queryRange("process_resident_memory_bytes{job=\"api\"}",
///                                          fromMs: from, toMs: to, stepMs: 30_000)
/// ```
///
/// A range longer than `maxPointsPerSeries` steps is split into chunks read
/// `concurrency` at a time and joined per label set, oldest first.
public final class PrometheusClient: Sendable {
    public let server: PrometheusServer
    private let http: HTTPClient

    public init(server: PrometheusServer) throws {
        try server.validate()
        self.server = server
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(min(server.timeoutSecs, 10) * 1000)))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = server.concurrency
        // Our own attempts retry; the pool's would retry a refused connection until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .follow(max: 3, allowCycles: false)
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Must be called once the client is no longer needed.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    /// Time spent in requests (sending, waiting, receiving) and in parsing answers, summed over requests.
    public struct Timing: Sendable {
        public var requests = 0
        public var waitingSecs = 0.0
        public var parsingSecs = 0.0
        public var bytes = 0
    }

    /// One chunk of a range query: steps `firstStep...lastStep` of the whole range.
    public struct Chunk: Sendable, Equatable {
        public var startMs: Int64
        public var endMs: Int64
    }

    /// Splits `fromMs...toMs` at `stepMs` into chunks of at most `pointsPerChunk`
    /// steps. Chunks share no step, so joining them repeats no sample.
    public static func chunks(fromMs: Int64, toMs: Int64, stepMs: Int64, pointsPerChunk: Int) throws -> [Chunk] {
        let points = try pointCount(fromMs: fromMs, toMs: toMs, stepMs: stepMs)
        guard pointsPerChunk >= 1 else { throw PrometheusError.badRange("a chunk must hold at least one point") }
        var chunks: [Chunk] = []
        var first: Int64 = 0
        while first < points {
            let last = min(points - 1, first + Int64(min(pointsPerChunk, 100_000_000)) - 1)
            chunks.append(Chunk(startMs: fromMs + first * stepMs, endMs: fromMs + last * stepMs))
            first = last + 1
        }
        return chunks
    }

    /// Steps in `fromMs...toMs`, checked: a positive step, an ordered range, under 100 million steps.
    static func pointCount(fromMs: Int64, toMs: Int64, stepMs: Int64) throws -> Int64 {
        guard stepMs > 0 else { throw PrometheusError.badRange("the step must be positive") }
        guard toMs >= fromMs else { throw PrometheusError.badRange("the range ends before it starts") }
        let (span, overflow) = toMs.subtractingReportingOverflow(fromMs)
        guard !overflow, span / stepMs < 100_000_000 else { throw PrometheusError.badRange("the range holds too many steps") }
        return span / stepMs + 1
    }

    /// Every series `query` selects over the range, sampled every `stepMs`.
    /// `progress` is called after each chunk with (chunks done, chunks in all).
    public func queryRange(_ query: String, fromMs: Int64, toMs: Int64, stepMs: Int64,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> (series: [PrometheusSeries], timing: Timing) {
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { throw PrometheusError.badRange("the query is empty") }
        let total = try Self.pointCount(fromMs: fromMs, toMs: toMs, stepMs: stepMs)
        // Enough chunks to keep every connection busy, none over the server's limit.
        let perChunk = min(server.maxPointsPerSeries,
                           max(Int((total + Int64(server.concurrency) - 1) / Int64(server.concurrency)), min(Int(total), 360)))
        let chunks = try Self.chunks(fromMs: fromMs, toMs: toMs, stepMs: stepMs, pointsPerChunk: perChunk)
        var answers = [[PrometheusSeries]?](repeating: nil, count: chunks.count)
        var timing = Timing()
        let step = Self.seconds(stepMs)
        try await withThrowingTaskGroup(of: (Int, [PrometheusSeries], Timing).self) { group in
            var next = 0
            func launch() {
                let index = next
                let chunk = chunks[index]
                next += 1
                group.addTask {
                    let form = ["query": query, "start": Self.seconds(chunk.startMs), "end": Self.seconds(chunk.endMs), "step": step]
                    let (series, t) = try await self.call(path: "/api/v1/query_range", form: form)
                    return (index, series, t)
                }
            }
            while next < min(server.concurrency, chunks.count) { launch() }
            var done = 0
            while let (index, series, t) = try await group.next() {
                answers[index] = series
                timing.requests += t.requests
                timing.waitingSecs += t.waitingSecs
                timing.parsingSecs += t.parsingSecs
                timing.bytes += t.bytes
                done += 1
                progress?(done, chunks.count)
                if next < chunks.count { launch() }
            }
        }
        return (Self.joined(answers.map { $0 ?? [] }), timing)
    }

    /// The latest value of every series `query` selects at `atMs` (an instant query).
    public func query(_ query: String, atMs: Int64) async throws -> [PrometheusSeries] {
        try await call(path: "/api/v1/query", form: ["query": query, "time": Self.seconds(atMs)]).series
    }

    /// Joins the chunks' series per label set, in chunk order.
    static func joined(_ chunks: [[PrometheusSeries]]) -> [PrometheusSeries] {
        var order: [SeriesLabels] = []
        var byLabels: [SeriesLabels: PrometheusSeries] = [:]
        for chunk in chunks {
            for series in chunk {
                if var existing = byLabels[series.labels] {
                    byLabels[series.labels] = nil
                    existing.timesMs += series.timesMs
                    existing.values += series.values
                    byLabels[series.labels] = existing
                } else {
                    order.append(series.labels)
                    byLabels[series.labels] = series
                }
            }
        }
        return order.sorted().map { byLabels[$0]! }
    }

    // MARK: One request

    private func call(path: String, form: [String: String]) async throws -> (series: [PrometheusSeries], timing: Timing) {
        var timing = Timing()
        var lastReason = ""
        for attempt in 1...server.attempts {
            if attempt > 1 {
                let pause = server.retryPauseSecs * pow(2, Double(attempt - 2))
                try await Task.sleep(nanoseconds: UInt64(pause * 1e9))
            }
            let started = ContinuousClock.now
            let status: Int
            let body: [UInt8]
            do {
                var request = HTTPClientRequest(url: server.baseURL + path)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.headers.add(name: "Accept", value: "application/json")
                request.headers.add(name: "User-Agent", value: "leak-history")
                switch server.credentials {
                case .none: break
                case .bearer(let token): request.headers.add(name: "Authorization", value: "Bearer \(token)")
                case .basic(let user, let password):
                    request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
                }
                request.body = .bytes(ByteBuffer(string: Self.formEncoded(form)))
                let response = try await http.execute(request, timeout: .milliseconds(Int64(server.timeoutSecs * 1000)))
                status = Int(response.status.code)
                var buffer = try await response.body.collect(upTo: server.maxResponseBytes)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch let error as HTTPClientError where error == .invalidURL {
                throw PrometheusError.badServerURL(server.baseURL)
            } catch let error as NIOTooManyBytesError {
                _ = error
                throw PrometheusError.malformed(server: server.baseURL, reason: "the answer is over \(server.maxResponseBytes) bytes; use a longer --step or a shorter window")
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastReason = Self.reason(error)
                timing.waitingSecs += Self.seconds(since: started)
                continue
            }
            timing.requests += 1
            timing.waitingSecs += Self.seconds(since: started)
            timing.bytes += body.count
            if status == 429 || status >= 500 {
                lastReason = "HTTP \(status)" + Self.errorText(body).map { ": \($0)" }.orEmpty
                continue
            }
            if status == 401 || status == 403 {
                throw PrometheusError.rejected(server: server.baseURL, status: status, errorType: "unauthorized",
                                               message: "check the bearer token or basic-auth credentials")
            }
            let parseStart = ContinuousClock.now
            let outcome: PrometheusResponse.Outcome
            do {
                outcome = try PrometheusResponse.parse(body)
            } catch let error as PrometheusResponse.FormatError {
                if (200..<300).contains(status) { throw PrometheusError.malformed(server: server.baseURL, reason: error.description) }
                throw PrometheusError.rejected(server: server.baseURL, status: status, errorType: "",
                                               message: String(decoding: body.prefix(200), as: UTF8.self))
            }
            timing.parsingSecs += Self.seconds(since: parseStart)
            switch outcome {
            case .series(let series, _):
                return (series, timing)
            case .failure(let errorType, let message):
                throw PrometheusError.rejected(server: server.baseURL, status: status, errorType: errorType, message: message)
            }
        }
        throw PrometheusError.unreachable(server: server.baseURL, attempts: server.attempts, reason: lastReason)
    }

    private static func errorText(_ body: [UInt8]) -> String? {
        if case .failure(_, let message)? = try? PrometheusResponse.parse(body) { return message }
        return nil
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout { return "timed out" }
            // The deadline can strike while the request still waits for its connection
            // (AsyncHTTPClient then says connectTimeout or getConnectionFromPoolTimeout).
            if error == .connectTimeout || error == .getConnectionFromPoolTimeout { return "connection timed out" }
            return error.description
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }

    static func formEncoded(_ form: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return form.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }

    /// Unix seconds with millisecond precision, as the API takes them.
    static func seconds(_ ms: Int64) -> String {
        let sign = ms < 0 ? "-" : ""
        let magnitude = ms.magnitude
        let fraction = magnitude % 1000
        return "\(sign)\(magnitude / 1000)" + (fraction == 0 ? "" : "." + String(String(fraction + 1000).dropFirst()))
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}

extension Optional where Wrapped == String {
    fileprivate var orEmpty: String { self ?? "" }
}
