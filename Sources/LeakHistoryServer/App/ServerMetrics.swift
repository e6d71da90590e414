import Foundation
import Synchronization

/// The server's own figures for `/metrics`: requests by route and status,
/// their latency, and how long event writes take.
///
/// ```swift
/// let metrics = ServerMetrics()
/// metrics.recordRequest(route: "/health", method: "GET", status: 200, seconds: 0.002)
/// var exposition = PrometheusExposition()
/// metrics.write(to: &exposition)
/// ```
///
/// Route labels are the router's path patterns, never raw request paths, so
/// the number of series stays bounded whatever clients send.
public final class ServerMetrics: Sendable {
    private struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct State {
        var requests: [RequestKey: UInt64] = [:]
        var latency: [String: LatencyHistogram] = [:]
        var ingestLatency = LatencyHistogram()
        var eventsStored: UInt64 = 0
        var ingestRejected: UInt64 = 0
        var headerTimeouts: UInt64 = 0
        var bodyTimeouts: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Unix seconds when the server started.
    public let startTime: Double

    public init(startTime: Date = Date()) {
        self.startTime = startTime.timeIntervalSince1970
    }

    func recordRequest(route: String, method: String, status: Int, seconds: Double) {
        state.withLock { state in
            state.requests[RequestKey(route: route, method: method, status: status), default: 0] += 1
            state.latency[route, default: LatencyHistogram()].observe(seconds)
        }
    }

    /// A committed write of `stored` events that took `seconds`.
    func recordIngest(stored: Int, seconds: Double) {
        state.withLock { state in
            state.ingestLatency.observe(seconds)
            state.eventsStored += UInt64(stored)
        }
    }

    /// A body refused whole (bad lines or a store conflict): nothing written.
    func recordRejectedIngest() {
        state.withLock { $0.ingestRejected += 1 }
    }

    /// A connection closed for not sending its request head (`header`) or body (`body`) in time.
    func recordTimeout(_ phase: String) {
        state.withLock { phase == "body" ? ($0.bodyTimeouts += 1) : ($0.headerTimeouts += 1) }
    }

    func write(to exposition: inout PrometheusExposition) {
        let snapshot = state.withLock { $0 }
        exposition.gauge("leak_history_server_start_time_seconds", help: "Unix time the server started.", value: startTime)
        exposition.declare("leak_history_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.", type: .counter)
        for (key, count) in snapshot.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            exposition.counter("leak_history_http_requests_total", help: "",
                               labels: ["route": key.route, "method": key.method, "status": String(key.status)], value: Double(count))
        }
        exposition.declare("leak_history_http_request_duration_seconds", help: "Time to answer an HTTP request (to its first byte for streamed exports).", type: .histogram)
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            exposition.histogram("leak_history_http_request_duration_seconds", help: "", labels: [("route", route)], histogram: histogram)
        }
        exposition.histogram("leak_history_ingest_duration_seconds",
                             help: "Time to decode and commit one POST of events (the server's flush latency).",
                             histogram: snapshot.ingestLatency)
        exposition.counter("leak_history_ingested_events_total", help: "Events committed through POST /api/v1/memory/events.",
                           value: Double(snapshot.eventsStored))
        exposition.counter("leak_history_ingest_rejected_total", help: "POSTs of events refused whole (nothing written).",
                           value: Double(snapshot.ingestRejected))
        exposition.counter("leak_history_http_timeouts_total", help: "Connections closed for a request head or body not sent in time.",
                           labels: ["phase": "header"], value: Double(snapshot.headerTimeouts))
        exposition.counter("leak_history_http_timeouts_total", help: "", labels: ["phase": "body"], value: Double(snapshot.bodyTimeouts))
    }
}
