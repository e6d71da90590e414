import Foundation
import Hummingbird
import LeakHistory
import Logging

/// `GET /api/v1/memory/export.csv`: raw samples as RFC 4180 CSV with a
/// header row, streamed in chunks so memory stays flat for any size.
///
/// ```sh
/// curl -o components.csv 'http://127.0.0.1:8080/api/v1/memory/export.csv?what=components&since=7d'
/// ```
///
/// Everything that can be refused (parameters, unknown source or component,
/// too many exports at once) is checked before the status line is sent; an
/// error after that can only cut the chunked body short, which a client sees
/// as a transfer that did not end properly.
struct ExportController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.get("export.csv", use: export)
    }

    @Sendable func export(_ request: Request, context: Context) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["what", "since", "from", "to", "source", "component"])
        let whatText = try query.value("what") ?? ExportKind.snapshots.rawValue
        guard let what = ExportKind(rawValue: whatText) else {
            throw APIError(.badRequest, "what: '\(whatText)' is not an export (snapshots or components)")
        }
        let now = resources.nowMs()
        // Without a window, the whole history.
        let window = try query.window(defaultSpanMs: now, nowMs: now)
        let source = try query.value("source")
        if let source { try InputRules.validateName(source, field: "source") }
        let component = try query.value("component")
        if let component {
            guard what == .components else { throw APIError(.badRequest, "component: goes with what=components") }
            try InputRules.validateName(component, field: "component")
        }
        try await resources.database.read { [resources] reader in
            guard let source else { return }
            try resources.requireSource(source, reader: reader)
            if let component, !(try reader.components(source: source).contains { $0.name == component }) {
                throw APIError(.notFound, "component: source '\(source)' has no component '\(component)'")
            }
        }
        guard let lease = resources.exports.acquire() else {
            throw APIError(.serviceUnavailable,
                           "export: \(resources.exports.limit) exports are already streaming; try again shortly",
                           headers: [.retryAfter: "5"])
        }

        let database = resources.database
        let logger = context.logger
        let stallTimeout = resources.configuration.exportStallTimeoutSecs
        let body = ResponseBody { writer in
            let pipe = ChunkPipe(capacity: 4, stallTimeoutSecs: stallTimeout)
            let producer = Thread {
                defer { lease.release() }
                do {
                    let reader = try database.openDedicatedReader()
                    defer { try? reader.close() }
                    let rows = try reader.exportCSV(what, source: source, component: component, window: window) { data in
                        try pipe.send(ByteBuffer(bytes: data))
                    }
                    logger.debug("export finished", metadata: ["export.what": "\(what.rawValue)", "export.rows": "\(rows)"])
                    pipe.finish()
                } catch {
                    pipe.finish(throwing: error)
                }
            }
            producer.name = "LeakHistory.export"
            producer.start()
            do {
                while let chunk = try await pipe.next() {
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            } catch {
                pipe.cancel()
                logger.warning("export ended early", metadata: ["export.what": "\(what.rawValue)", "error": "\(error)"])
                throw error
            }
        }
        var headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8; header=present",
            .contentDisposition: "attachment; filename=\"leak-history-\(what.rawValue).csv\"",
        ]
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: body)
    }
}
