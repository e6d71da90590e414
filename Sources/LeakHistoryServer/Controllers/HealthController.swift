import Foundation
import Hummingbird
import LeakHistory

/// `GET /health` (is the database readable, which file, which schema) and
/// `GET /openapi.yaml` (the API described in OpenAPI 3).
struct HealthController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.get("/health", use: health)
        routes.get("/openapi.yaml", use: openAPI)
    }

    /// 200 with `status: "ok"` when a reader can query the file and the last
    /// write succeeded; 200 with `status: "degraded"` and the `reason` when
    /// reads work but writes fail for where the file lives (read-only, full
    /// disk); else 503 with `status: "unavailable"` and the error.
    @Sendable func health(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let uptime = Date().timeIntervalSince1970 - resources.metrics.startTime
        var body = HealthResponse(status: "ok", database: resources.database.path, schemaVersion: nil, sources: nil,
                                  uptimeSecs: max(0, uptime.rounded()), error: nil, reason: nil)
        var status = HTTPResponse.Status.ok
        do {
            let (version, sources) = try await resources.database.read { reader in
                (try reader.schemaVersion, try reader.sources().count)
            }
            body.schemaVersion = version
            body.sources = sources
            if let problem = resources.database.writeProblem {
                body.status = "degraded"
                body.reason = problem
            }
        } catch {
            context.logger.warning("health check failed", metadata: ["db.path": "\(resources.database.path)", "error": "\(error)"])
            body.status = "unavailable"
            body.error = "\(error)"
            status = .serviceUnavailable
        }
        var response = try body.response(from: request, context: context)
        response.status = status
        response.headers[.cacheControl] = "no-store"
        return response
    }

    @Sendable func openAPI(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
    }
}

/// The answer of `GET /health`.
struct HealthResponse: ResponseEncodable, Sendable {
    var status: String
    var database: String
    var schemaVersion: Int?
    var sources: Int?
    var uptimeSecs: Double
    var error: String?
    /// Why writes fail, when `status` is `degraded`.
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case status
        case database
        case schemaVersion = "schema_version"
        case sources
        case uptimeSecs = "uptime_secs"
        case error
        case reason
    }
}
