import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import LeakHistory
import Testing
import Yams
@testable import LeakHistoryServer

/// `GET /openapi.yaml` stays true: its operations are exactly the routes the
/// router registers, every reference resolves, and real responses match
/// their schemas, which forbid undocumented fields.
@Suite struct OpenAPIDocumentMatchesTheServerTests {
    static var document: [String: Any] {
        get throws { try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any]) }
    }

    /// One served or documented operation.
    struct Route: Hashable, CustomStringConvertible {
        var method: String
        var path: String
        var description: String { "\(method) \(path)" }
    }

    /// What the router itself lists (`Router.routes`), HEAD aside: it is generated for every GET.
    static func registeredRoutes() async throws -> Set<Route> {
        let fixture = try ServerFixture()
        let resources = ServerResources(configuration: fixture.configuration, database: fixture.database, logger: ServerFixture.logger)
        let routes = Set(buildRouter(resources).routes.filter { $0.method != .head }
            .map { Route(method: $0.method.rawValue, path: $0.path.description) })
        await fixture.close()
        return routes
    }

    @Test func itIsOpenAPI3() throws {
        let document = try Self.document
        #expect((document["openapi"] as? String)?.hasPrefix("3.0") == true)
        #expect((document["info"] as? [String: Any])?["title"] as? String == "LeakHistory")
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() async throws {
        let paths = try #require(try Self.document["paths"] as? [String: [String: Any]])
        var documented = Set<Route>()
        for (path, operations) in paths {
            for method in operations.keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert(Route(method: method.uppercased(), path: path))
            }
        }
        let registered = try await Self.registeredRoutes()
        #expect(registered.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(registered.subtracting(documented))")
        #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered))")
        #expect(registered.count >= 11)
    }

    @Test func everyOperationHasResponsesAndEveryReferenceResolves() throws {
        let document = try Self.document
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = (operation as? [String: Any])?["responses"] as? [String: Any]
                #expect(responses?.isEmpty == false, "\(method) \(path) has no responses")
            }
        }
        var references: [String] = []
        func collect(_ node: Any) {
            if let object = node as? [String: Any] {
                if let ref = object["$ref"] as? String { references.append(ref) }
                object.values.forEach(collect)
            } else if let array = node as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(SchemaCheck(document: document).resolve(reference) != nil, "unresolved \(reference)")
        }
    }

    /// Real responses of each JSON endpoint, checked against the schema the document gives for their status.
    @Test func realResponsesMatchTheirSchemas() async throws {
        let fixture = try ServerFixture()
        try fixture.ingest(leakingHistory() + [IngestEvent(source: "api", tsMs: fixedNowMs - 5000, kind: .gauge(component: "rss_anon", bytes: 7 * MiB))])
        let check = SchemaCheck(document: try Self.document)
        let calls: [(String, HTTPRequest.Method, String?, String, Int)] = [
            ("/api/v1/memory/leaks?source=api", .get, nil, "/api/v1/memory/leaks", 200),
            ("/api/v1/memory/leaks?source=ghost", .get, nil, "/api/v1/memory/leaks", 404),
            ("/api/v1/memory/leaks?since=x", .get, nil, "/api/v1/memory/leaks", 400),
            ("/api/v1/memory/sources", .get, nil, "/api/v1/memory/sources", 200),
            ("/api/v1/memory/runs", .get, nil, "/api/v1/memory/runs", 200),
            ("/api/v1/memory/runs?source=api", .get, nil, "/api/v1/memory/runs", 200),
            ("/api/v1/memory/runs?source=ghost", .get, nil, "/api/v1/memory/runs", 404),
            ("/api/v1/memory/overview", .get, nil, "/api/v1/memory/overview", 200),
            ("/api/v1/memory/overview?since=1m", .get, nil, "/api/v1/memory/overview", 200),
            ("/api/v1/memory/leaks?source=api&since=1s", .get, nil, "/api/v1/memory/leaks", 200),
            ("/api/v1/memory/trend?source=api&since=1h", .get, nil, "/api/v1/memory/trend", 200),
            ("/api/v1/memory/trend?source=api&from=1600000000000&to=1600000001000", .get, nil, "/api/v1/memory/trend", 200),
            ("/api/v1/memory/trend?source=api&component=session_cache", .get, nil, "/api/v1/memory/trend", 200),
            ("/api/v1/memory/baseline?source=api", .get, nil, "/api/v1/memory/baseline", 200),
            ("/api/v1/memory/baseline?source=api", .post, #"{"usage_mb": 64}"#, "/api/v1/memory/baseline", 200),
            ("/api/v1/memory/baseline?source=api", .post, "{}", "/api/v1/memory/baseline", 200),
            ("/api/v1/memory/baseline?source=api", .get, nil, "/api/v1/memory/baseline", 200),
            ("/api/v1/memory/leaks?source=api", .get, nil, "/api/v1/memory/leaks", 200),
            ("/api/v1/memory/baseline?source=api", .delete, nil, "/api/v1/memory/baseline", 200),
            ("/api/v1/memory/events", .post, #"{"usage_bytes": 5}"#, "/api/v1/memory/events", 200),
            ("/api/v1/memory/events", .post, #"{"ts_ms": 1764000000000, "usage_bytes": 5, "source": "replayed"}"#, "/api/v1/memory/events", 200),
            ("/api/v1/memory/events", .post, #"{"ts_ms": 1764000000000, "usage_bytes": 5, "source": "replayed"}"#, "/api/v1/memory/events", 200),
            ("/api/v1/memory/events", .post, "{\"usage_bytes\": 5}\n{\"usage_bytes\": -5}", "/api/v1/memory/events", 400),
            ("/api/v1/memory/compare?source=api", .get, nil, "/api/v1/memory/compare", 400),
            ("/api/v1/memory/compare?source=ghost", .get, nil, "/api/v1/memory/compare", 404),
            ("/api/v1/memory/versions?source=api", .get, nil, "/api/v1/memory/versions", 200),
            ("/health", .get, nil, "/health", 200),
            ("/api/v1/memory/export.csv?what=nothing", .get, nil, "/api/v1/memory/export.csv", 400),
        ]
        try await fixture.test { client in
            for (uri, method, body, path, status) in calls {
                try await client.execute(uri: uri, method: method, body: body.map { ByteBuffer(text: $0) }) { response in
                    #expect(response.status.code == status, "\(method) \(uri): \(response.text)")
                    let json = try response.value
                    let schema = try #require(check.responseSchema(path: path, method: method, status: status), "\(method) \(path) \(status)")
                    let problems = check.validate(json, against: schema, at: "\(method) \(uri)")
                    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
                }
            }
        }
    }
}

/// Just enough JSON Schema (the OpenAPI 3.0 subset the document uses) to
/// check responses: types, nullable, required, properties,
/// additionalProperties, items, enum, allOf and `$ref`. The parsed document is
/// never mutated, which is what makes the unchecked `Sendable` sound.
struct SchemaCheck: @unchecked Sendable {
    let document: [String: Any]

    func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = (node as? [String: Any])?[String(part)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    func responseSchema(path: String, method: HTTPRequest.Method, status: Int) -> [String: Any]? {
        let operation = ((document["paths"] as? [String: Any])?[path] as? [String: Any])?[method.rawValue.lowercased()] as? [String: Any]
        guard var response = (operation?["responses"] as? [String: Any])?[String(status)] as? [String: Any] else { return nil }
        if let ref = response["$ref"] as? String, let resolved = resolve(ref) { response = resolved }
        return ((response["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
    }

    func validate(_ value: JSONValue, against schema: [String: Any], at path: String) -> [String] {
        if let ref = schema["$ref"] as? String {
            guard let resolved = resolve(ref) else { return ["\(path): unresolved \(ref)"] }
            return validate(value, against: resolved, at: path)
        }
        if value == .null {
            return schema["nullable"] as? Bool == true ? [] : ["\(path): null but not nullable"]
        }
        if let all = schema["allOf"] as? [[String: Any]] {
            return all.flatMap { validate(value, against: $0, at: path) }
        }
        var problems: [String] = []
        if let options = schema["enum"] as? [Any], !options.contains(where: { JSONValue.string("\($0)") == value }) {
            problems.append("\(path): \(value) is not one of \(options)")
        }
        switch (schema["type"] as? String, value) {
        case ("object", .object(let object)):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): missing required \(key)")
            }
            for (key, member) in object {
                if let propertySchema = properties[key] as? [String: Any] {
                    problems += validate(member, against: propertySchema, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += validate(member, against: additional, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    problems.append("\(path): undocumented field \(key)")
                }
            }
        case ("array", .array(let items)):
            if let itemSchema = schema["items"] as? [String: Any] {
                for (index, item) in items.enumerated() { problems += validate(item, against: itemSchema, at: "\(path)[\(index)]") }
            }
        case ("string", .string), ("integer", .integer), ("number", .integer), ("number", .number), ("boolean", .bool), (nil, _):
            break
        case (let type?, _):
            problems.append("\(path): expected \(type), got \(value)")
        }
        return problems
    }
}
