import Foundation
import Hummingbird
import LeakHistory

/// `GET|POST|DELETE /api/v1/memory/baseline?source=…`: the baseline that
/// reports measure growth from.
///
/// ```sh
/// curl -X POST http://127.0.0.1:8080/api/v1/memory/baseline                     # at the latest usage
/// curl -X POST -d '{"usage_mb": 512}' http://127.0.0.1:8080/api/v1/memory/baseline
/// curl -X DELETE http://127.0.0.1:8080/api/v1/memory/baseline?source=api
/// ```
struct BaselineController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.get("baseline", use: show)
        routes.post("baseline", use: set)
        routes.delete("baseline", use: clear)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> BaselineResponse {
        let requested = try QueryParameters(request, allowed: ["source"]).optionalSource()
        return try await resources.database.read { [resources] reader in
            let source = try resources.existingSource(requested, reader: reader)
            return BaselineResponse(source: source, baseline: try reader.baseline(source: source).map(BaselineResponse.Baseline.init))
        }
    }

    /// Sets the baseline now: to `usage_bytes` or `usage_mb` from the body,
    /// else to the source's newest stored sample (which needs a known source;
    /// `sample_ts_ms` then says which sample it was).
    @Sendable func set(_ request: Request, context: Context) async throws -> BaselineResponse {
        let requested = try QueryParameters(request, allowed: ["source"]).optionalSource()
        let body = try await request.body.collect(upTo: resources.configuration.maxBodyBytes)
        let usageBytes = try BaselineRequest.usageBytes(from: Data(body.readableBytesView))
        let now = resources.nowMs()
        let (source, known) = try await resources.database.read { [resources] reader in
            try resources.chosenSource(requested, known: try reader.sources())
        }
        if usageBytes == nil && !known.contains(source) {
            var error = APIError.unknownSource(source, known: known)
            error.message += "; to set the baseline of a new source, give {\"usage_bytes\": N} or {\"usage_mb\": N}"
            throw error
        }
        let (stored, sampleMs) = try await resources.database.write { writer in
            (try writer.setBaseline(source: source, usageBytes: usageBytes, tsMs: now), writer.lastBaselineSampleMs)
        }
        context.logger.info("baseline set", metadata: ["source": "\(source)", "baseline.usage_bytes": "\(stored.usageBytes)"])
        var response = BaselineResponse(source: source, baseline: BaselineResponse.Baseline(stored))
        response.baseline?.sampleTsMs = sampleMs
        return response
    }

    @Sendable func clear(_ request: Request, context: Context) async throws -> BaselineClearedResponse {
        let requested = try QueryParameters(request, allowed: ["source"]).optionalSource()
        let now = resources.nowMs()
        let (source, known) = try await resources.database.read { [resources] reader in
            try resources.chosenSource(requested, known: try reader.sources())
        }
        guard known.contains(source) else { throw APIError.unknownSource(source, known: known) }
        let cleared = try await resources.database.write { writer in try writer.clearBaseline(source: source, tsMs: now) }
        if cleared { context.logger.info("baseline cleared", metadata: ["source": "\(source)"]) }
        return BaselineClearedResponse(source: source, cleared: cleared)
    }
}

/// The optional body of `POST /api/v1/memory/baseline`: `{}`, `{"usage_bytes": N}` or `{"usage_mb": N}`.
enum BaselineRequest {
    private struct Fields: Decodable {
        var keys: [String]
        var usageBytes: Int64?
        var usageMB: Int64?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            keys = container.allKeys.map(\.stringValue)
            func number(_ name: String) throws -> Int64? {
                let key = AnyCodingKey(stringValue: name)
                guard container.contains(key) else { return nil }
                do {
                    return try container.decode(Int64.self, forKey: key)
                } catch {
                    throw InputError(field: name, message: "expected a whole number")
                }
            }
            usageBytes = try number("usage_bytes")
            usageMB = try number("usage_mb")
        }
    }

    /// The usage the body asks for, `nil` for an empty body or `{}`.
    static func usageBytes(from body: Data) throws -> Int64? {
        guard body.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else { return nil }
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: body)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(field: "body", message: "expected a JSON object such as {\"usage_mb\": 512} or {\"usage_bytes\": 536870912}")
        }
        if let unknown = fields.keys.sorted().first(where: { $0 != "usage_bytes" && $0 != "usage_mb" }) {
            throw InputError(field: unknown, message: "unknown field (allowed: usage_bytes, usage_mb)")
        }
        switch (fields.usageBytes, fields.usageMB) {
        case (nil, nil):
            return nil
        case (let bytes?, nil):
            try InputRules.validateSize(bytes, field: "usage_bytes")
            return bytes
        case (nil, let mb?):
            let (bytes, overflow) = mb.multipliedReportingOverflow(by: ByteSize.bytesPerMB)
            guard !overflow else { throw InputError(field: "usage_mb", message: "size \(mb) MiB is over the 1 PiB limit") }
            if mb < 0 { throw InputError(field: "usage_mb", message: "size \(mb) is negative") }
            try InputRules.validateSize(bytes, field: "usage_mb")
            return bytes
        case (_?, _?):
            throw InputError(field: "usage_bytes", message: "give usage_bytes or usage_mb, not both")
        }
    }
}

/// A source's baseline in force, `null` when it has none.
struct BaselineResponse: ResponseEncodable, Sendable {
    struct Baseline: Encodable, Sendable {
        var tsMs: Int64
        var usageBytes: Int64
        var usageMB: Int
        var componentBytes: [String: Int64]
        /// When set without a usage: the time of the sample it was taken from.
        var sampleTsMs: Int64?

        init(_ stored: StoredBaseline) {
            tsMs = stored.tsMs
            usageBytes = stored.usageBytes
            usageMB = ByteSize.wholeMB(stored.usageBytes)
            componentBytes = stored.componentBytes
        }

        enum CodingKeys: String, CodingKey {
            case tsMs = "ts_ms"
            case usageBytes = "usage_bytes"
            case usageMB = "usage_mb"
            case componentBytes = "component_bytes"
            case sampleTsMs = "sample_ts_ms"
        }
    }

    var source: String
    var baseline: Baseline?

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        // The key stays when there is no baseline, as `baseline_mb` does in the report.
        try container.encode(baseline, forKey: .baseline)
    }

    enum CodingKeys: String, CodingKey {
        case source
        case baseline
    }
}

/// Whether `DELETE` cleared a baseline (`false`: the source had none).
struct BaselineClearedResponse: ResponseEncodable, Sendable {
    var source: String
    var cleared: Bool
}
