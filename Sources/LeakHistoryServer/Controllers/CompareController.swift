import Foundation
import Hummingbird
import LeakHistory

/// `GET /api/v1/memory/compare` (run against run, version against version:
/// the regression verdict and its words) and `GET /api/v1/memory/versions`
/// (a source's versions, each against the one before it: the dashboard's
/// versions panel).
///
/// ```sh
/// curl 'http://127.0.0.1:8080/api/v1/memory/compare?source=api&versions=1.4.1,1.4.2'
/// curl 'http://127.0.0.1:8080/api/v1/memory/compare?runs=3,7'
/// ```
struct CompareController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: RouteTable<Context>) {
        routes.get("/api/v1/memory/compare", use: compare)
        routes.get("/api/v1/memory/versions", use: versions)
    }

    @Sendable func compare(_ request: Request, context: Context) async throws -> ComparisonResponse {
        let query = try QueryParameters(request, allowed: ["source", "runs", "versions"])
        let requested = try query.optionalSource()
        let selection = try Self.selection(runs: try query.value("runs"), versions: try query.value("versions"))
        let config = resources.configuration.detection
        let now = resources.nowMs()
        return ComparisonResponse(comparison: try await resources.database.read { [resources] reader in
            // Two runs named without a source: the source that holds the first.
            let source: String
            if requested == nil, case .runs(let base, _) = selection, let holder = try reader.source(holdingRun: base) {
                source = holder
            } else {
                source = try resources.resolveSource(requested, reader: reader)
            }
            try resources.requireSource(source, reader: reader)
            return try reader.compare(source: source, selection, config: config, nowMs: now)
        })
    }

    @Sendable func versions(_ request: Request, context: Context) async throws -> VersionHistoryResponse {
        let requested = try QueryParameters(request, allowed: ["source"]).optionalSource()
        let config = resources.configuration.detection
        let now = resources.nowMs()
        return VersionHistoryResponse(history: try await resources.database.read { [resources] reader in
            let source = try resources.resolveSource(requested, reader: reader)
            try resources.requireSource(source, reader: reader)
            return try reader.versionHistory(source: source, config: config, nowMs: now)
        })
    }

    /// `runs=3,7` or `versions=1.4.1,1.4.2` (older first), or neither: the newest two runs.
    static func selection(runs: String?, versions: String?) throws -> ComparisonSelection {
        switch (runs, versions) {
        case (.some, .some):
            throw APIError(.badRequest, "runs, versions: give one of them (two runs or two versions), not both")
        case (let runs?, nil):
            let ids = runs.split(separator: ",", omittingEmptySubsequences: false).map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard ids.count == 2, let base = ids[0], let target = ids[1] else {
                throw APIError(.badRequest, "runs: '\(runs.prefix(80))' is not two run ids, older first (runs=3,7)")
            }
            return .runs(base: base, target: target)
        case (nil, let versions?):
            let names = versions.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard names.count == 2 else {
                throw APIError(.badRequest, "versions: '\(versions.prefix(80))' is not two versions, older first (versions=1.4.1,1.4.2)")
            }
            for name in names { try RunDeployment.validateVersion(name, field: "versions") }
            return .versions(base: names[0], target: names[1])
        case (nil, nil):
            return .newestRuns
        }
    }
}

struct ComparisonResponse: ResponseEncodable, Sendable {
    var comparison: RunComparison

    func encode(to encoder: any Encoder) throws {
        try comparison.encode(to: encoder)
    }
}

struct VersionHistoryResponse: ResponseEncodable, Sendable {
    var history: VersionHistory

    func encode(to encoder: any Encoder) throws {
        try history.encode(to: encoder)
    }
}
