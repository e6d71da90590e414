import Foundation
import Hummingbird
import LeakHistory

/// `GET /api/v1/memory/trend`: usage (or one component) over a window in
/// time buckets, with the trend verdict; what the dashboard charts.
///
/// ```sh
/// curl 'http://127.0.0.1:8080/api/v1/memory/trend?since=24h&bucket=15m&component=cache'
/// ```
///
/// Without `bucket`, one is chosen to give about 240 buckets, from a list of
/// round sizes so whole minutes and hours come from the rollups.
struct TrendController<Context: RequestContext> {
    let resources: ServerResources

    /// The default window: the last day, or the source's newest run when that is shorter.
    static var defaultSpanMs: Int64 { 86_400_000 }

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.get("trend", use: trend)
    }

    @Sendable func trend(_ request: Request, context: Context) async throws -> TrendSeries {
        let query = try QueryParameters(request, allowed: ["since", "from", "to", "source", "bucket", "component"])
        let now = resources.nowMs()
        let requestedWindow = try query.requestedWindow(nowMs: now)
        let requested = try query.optionalSource()
        let bucketMs = try query.value("bucket").map { try DurationText.milliseconds($0, field: "bucket") }
        let component = try query.value("component")
        if let component { try InputRules.validateName(component, field: "component") }
        let config = resources.configuration.detection
        return try await resources.database.read { [resources] reader in
            let source = try resources.existingSource(requested, reader: reader)
            if let component, !(try reader.components(source: source).contains { $0.name == component }) {
                throw APIError(.notFound, "component: source '\(source)' has no component '\(component)'")
            }
            let window = try requestedWindow ?? reader.sourceSummary(source).defaultWindow(spanMs: Self.defaultSpanMs, nowMs: now)
            return try reader.trend(source: source, component: component, window: window,
                                    bucketMs: bucketMs ?? Self.automaticBucketMs(spanMs: window.spanMs), config: config, nowMs: now)
        }
    }

    /// The smallest round bucket that cuts `spanMs` into at most about 240 buckets.
    static func automaticBucketMs(spanMs: Int64, target: Int64 = 240) -> Int64 {
        TrendBuckets.automaticMs(spanMs: spanMs, target: target)
    }
}
