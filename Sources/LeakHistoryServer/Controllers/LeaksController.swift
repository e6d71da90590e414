import Foundation
import Hummingbird
import LeakHistory

/// `GET /api/v1/memory/leaks` (the seed's report for a window of the history)
/// and `GET /api/v1/memory/sources` (what there is to report on).
struct LeaksController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: RouteTable<Context>) {
        routes.get("/api/v1/memory/leaks", use: leaks)
        routes.get("/api/v1/memory/sources", use: sources)
    }

    /// The report over `since` or `from`/`to` (default: the detector's
    /// `time_window_secs`, 10 minutes, before now) for `source`.
    @Sendable func leaks(_ request: Request, context: Context) async throws -> LeakReport {
        let query = try QueryParameters(request, allowed: ["since", "from", "to", "source"])
        let now = resources.nowMs()
        let config = resources.configuration.detection
        let window = try query.window(defaultSpanMs: Int64(config.timeWindowSecs) * 1000, nowMs: now)
        let source = try query.source(default: resources.configuration.defaultSource)
        return try await resources.database.read { [resources] reader in
            try resources.requireSource(source, reader: reader)
            return try reader.report(source: source, window: window, config: config, nowMs: now)
        }
    }

    @Sendable func sources(_ request: Request, context: Context) async throws -> SourcesResponse {
        _ = try QueryParameters(request, allowed: [])
        let defaultSource = resources.configuration.defaultSource
        return try await resources.database.read { reader in
            let sources = try reader.sources().map { name in
                let runs = try reader.runs(source: name)
                let components = try reader.components(source: name).map {
                    SourcesResponse.Component(name: $0.name, kind: $0.kind == .counted ? "counted" : "gauge")
                }
                return SourcesResponse.Source(
                    name: name, runs: runs.count, components: components,
                    latestRunStartedMs: runs.last?.startedMs, running: runs.last.map { $0.endedMs == nil } ?? false)
            }
            return SourcesResponse(defaultSource: defaultSource, sources: sources)
        }
    }
}

/// The sources a database holds, for pickers and scripts.
struct SourcesResponse: ResponseEncodable, Sendable {
    struct Component: Encodable, Sendable {
        var name: String
        /// `counted` (allocations and deallocations) or `gauge` (sampled held bytes).
        var kind: String
    }

    struct Source: Encodable, Sendable {
        var name: String
        var runs: Int
        var components: [Component]
        var latestRunStartedMs: Int64?
        /// Its latest run has not been closed (still recording, or it ended without closing).
        var running: Bool

        enum CodingKeys: String, CodingKey {
            case name
            case runs
            case components
            case latestRunStartedMs = "latest_run_started_ms"
            case running
        }
    }

    var defaultSource: String
    var sources: [Source]

    enum CodingKeys: String, CodingKey {
        case defaultSource = "default_source"
        case sources
    }
}
