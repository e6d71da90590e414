import Foundation
import Hummingbird
import LeakHistory

/// `POST /api/v1/memory/events`: the events of `leak-history ingest`, as
/// NDJSON (one object per line) or a JSON array, stored all or nothing.
///
/// ```sh
/// curl --data-binary @events.ndjson -H 'Content-Type: application/x-ndjson' \
///      http://127.0.0.1:8080/api/v1/memory/events?source=api
/// ```
///
/// Any bad line refuses the whole body with a 400 that lists each bad line;
/// nothing of it is written.
struct EventsController<Context: RequestContext> {
    let resources: ServerResources

    /// How many bad lines a 400 lists; `error_count` gives the total.
    static var maxListedErrors: Int { 100 }

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.post("events", use: post)
    }

    @Sendable func post(_ request: Request, context: Context) async throws -> StoredResponse {
        let query = try QueryParameters(request, allowed: ["source"])
        let source = try query.source(default: resources.configuration.defaultSource)
        let limit = resources.configuration.maxBodyBytes
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("multipart/") {
            throw APIError(.unsupportedMediaType,
                           "content-type: '\(contentType)' is not accepted; send NDJSON or a JSON array as the body, e.g. curl --data-binary @events.ndjson -H 'Content-Type: application/x-ndjson'")
        }
        // curl sends this type unless told otherwise; the body is still ours to
        // read, but `curl -d` also strips the newlines between NDJSON lines.
        let curlHint = contentType.hasPrefix("application/x-www-form-urlencoded")
            ? " (if you used curl -d, it removed the newlines: use --data-binary)" : ""
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(.contentTooLarge, "body: \(length) bytes is larger than the \(limit)-byte limit; send the events in several requests")
        }
        let body = Data(try await request.body.collect(upTo: limit).readableBytesView)
        let now = resources.nowMs()
        let started = ContinuousClock.now
        // Decoded here, before the write: a bad or large body costs this
        // request's task, never the one writer every request queues behind.
        let decoded = EventDecoder(defaultSource: source, nowMs: now).decodeAll(body)
        let outcome: IngestOutcome = if !decoded.errors.isEmpty {
            .refused(decoded.errors)
        } else if decoded.events.isEmpty {
            .empty
        } else {
            try await store(decoded, nowMs: now)
        }
        return try answer(outcome, source: source, started: started, context: context, curlHint: curlHint)
    }

    /// Writes the decoded events, all or nothing; a line the writer refuses
    /// (a component past the limit) refuses the whole body.
    private func store(_ decoded: (events: [IngestEvent], errors: [InputError], lines: [Int]), nowMs now: Int64) async throws -> IngestOutcome {
        try await resources.database.write { writer -> IngestOutcome in
            do {
                let result = try writer.ingest(decoded.events, atomic: true, lines: decoded.lines)
                // The server is a long-running writer: it applies the file's retention
                // policy at most hourly. The events are committed already, so a failed
                // prune does not fail the request; the next one tries again.
                _ = try? writer.pruneIfDue(nowMs: now)
                return .stored(result.stored, alreadyStored: result.alreadyStored)
            } catch let error as InputError {
                return .refused([error])
            }
        }
    }

    private func answer(_ outcome: IngestOutcome, source: String, started: ContinuousClock.Instant, context: Context,
                        curlHint: String) throws -> StoredResponse {
        let metrics = resources.metrics
        switch outcome {
        case .stored(let count, let alreadyStored):
            let elapsed = started.duration(to: .now)
            metrics.recordIngest(stored: count, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            context.logger.debug("stored events", metadata: ["events.stored": "\(count)", "events.source": "\(source)"])
            return StoredResponse(stored: count, alreadyStored: alreadyStored)
        case .empty:
            metrics.recordRejectedIngest()
            throw APIError(.badRequest, "body: no events; send NDJSON (one JSON object per line) or a JSON array")
        case .refused(let errors):
            metrics.recordRejectedIngest()
            let sorted = errors.sorted { ($0.line ?? 0) < ($1.line ?? 0) }
            let first = sorted[0]
            let summary = errors.count == 1
                ? "\(first); nothing was stored\(curlHint)"
                : "\(errors.count) bad lines (first: \(first)); nothing was stored\(curlHint)"
            throw APIError(.badRequest, summary, errors: sorted.prefix(Self.maxListedErrors).map(APIError.LineError.init),
                           errorCount: errors.count)
        }
    }

    private enum IngestOutcome: Sendable {
        case stored(Int, alreadyStored: Int)
        case empty
        case refused([InputError])
    }
}

/// `{"stored": N, "already_stored": M}`: how many events a POST committed,
/// and how many it carried that were stored before (a retried request).
struct StoredResponse: ResponseEncodable, Sendable {
    var stored: Int
    var alreadyStored: Int = 0

    enum CodingKeys: String, CodingKey {
        case stored
        case alreadyStored = "already_stored"
    }
}
