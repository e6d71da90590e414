import Foundation
import Hummingbird
import LeakHistory

/// `GET /api/v1/memory/leaks` (the seed's report for a window of the history),
/// `GET /api/v1/memory/overview` (every source's report, worst first),
/// `GET /api/v1/memory/sources` and `GET /api/v1/memory/runs` (what there is
/// to report on).
struct LeaksController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.get("leaks", use: leaks)
        routes.get("overview", use: overview)
        routes.get("sources", use: sources)
        routes.get("runs", use: runs)
    }

    /// The default window: the detector's `time_window_secs` (10 minutes).
    private var defaultSpanMs: Int64 { Int64(resources.configuration.detection.timeWindowSecs) * 1000 }

    /// The report over `since` or `from`/`to`, else the default window (the
    /// last 10 minutes, or the newest run when shorter), for `source` (else
    /// the default source, or the only one).
    @Sendable func leaks(_ request: Request, context: Context) async throws -> LeakReport {
        let query = try QueryParameters(request, allowed: ["since", "from", "to", "source"])
        let now = resources.nowMs()
        let config = resources.configuration.detection
        let window = try query.requestedWindow(nowMs: now)
        let requested = try query.optionalSource()
        let span = defaultSpanMs
        return try await resources.database.read { [resources] reader in
            let source = try resources.existingSource(requested, reader: reader)
            return try reader.report(source: source, window: window, defaultSpanMs: span, config: config, nowMs: now, cliHints: false)
        }
    }

    /// Every source's report, worst first (leaking, then severity, then the verdict's rate).
    @Sendable func overview(_ request: Request, context: Context) async throws -> OverviewResponse {
        let query = try QueryParameters(request, allowed: ["since", "from", "to"])
        let now = resources.nowMs()
        let config = resources.configuration.detection
        let window = try query.requestedWindow(nowMs: now)
        let span = defaultSpanMs
        return OverviewResponse(reports: try await resources.database.read { reader in
            try reader.overview(window: window, defaultSpanMs: span, config: config, nowMs: now, cliHints: false)
        })
    }

    @Sendable func sources(_ request: Request, context: Context) async throws -> SourcesResponse {
        _ = try QueryParameters(request, allowed: [])
        let defaultSource = resources.configuration.defaultSource
        let now = resources.nowMs()
        let config = resources.configuration.detection
        let span = defaultSpanMs
        return try await resources.database.read { reader in
            SourcesResponse(defaultSource: defaultSource, sources: try reader.sourceListings(defaultSpanMs: span, config: config, nowMs: now))
        }
    }

    /// The runs of `source`, or of every source, oldest first within each.
    @Sendable func runs(_ request: Request, context: Context) async throws -> RunsResponse {
        let source = try QueryParameters(request, allowed: ["source"]).optionalSource()
        return try await resources.database.read { [resources] reader in
            let summaries: [SourceSummary]
            if let source {
                try resources.requireSource(source, reader: reader)
                summaries = [try reader.sourceSummary(source)]
            } else {
                summaries = try reader.sourceSummaries()
            }
            return RunsResponse(runs: summaries.flatMap { s in s.runs.map { SourcedRun(source: s.name, run: $0) } })
        }
    }
}

extension QueryParameters {
    /// The window asked for, `nil` when the request names none.
    func requestedWindow(nowMs: Int64) throws -> TimeWindow? {
        guard self["since"] != nil || self["from"] != nil || self["to"] != nil else { return nil }
        return try window(defaultSpanMs: 0, nowMs: nowMs)
    }
}

/// Every source's report, worst first.
struct OverviewResponse: ResponseEncodable, Sendable {
    var reports: [LeakReport]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(reports)
    }
}

/// The sources a database holds, for pickers and scripts.
struct SourcesResponse: ResponseEncodable, Sendable {
    var defaultSource: String
    var sources: [SourceListing]

    enum CodingKeys: String, CodingKey {
        case defaultSource = "default_source"
        case sources
    }
}

/// The runs of one source or of all, each with its source's name.
struct RunsResponse: ResponseEncodable, Sendable {
    var runs: [SourcedRun]
}
