import Hummingbird
import Synchronization

/// One route the server answers: its method and path pattern.
public struct RegisteredRoute: Hashable, Sendable, CustomStringConvertible {
    public var method: HTTPRequest.Method
    public var path: String

    public var description: String { "\(method) \(path)" }
}

/// Adds routes to a Hummingbird router and remembers each one, so the
/// OpenAPI document can be checked against what is really served.
///
/// ```swift
/// let table = RouteTable(router: router)
/// table.get("/health") { request, context in HealthResponse(…) }
/// print(table.routes)   // [GET /health]
/// ```
public final class RouteTable<Context: RequestContext> {
    public let router: Router<Context>
    public private(set) var routes: [RegisteredRoute] = []
    /// The same routes by path, for answering 405 to a known path with the wrong method.
    let index: RouteIndex

    init(router: Router<Context>, index: RouteIndex) {
        self.router = router
        self.index = index
    }

    func get(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(.get, path, use: handler)
    }

    func post(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(.post, path, use: handler)
    }

    func delete(_ path: String, use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        on(.delete, path, use: handler)
    }

    private func on(_ method: HTTPRequest.Method, _ path: String,
                    use handler: @escaping @Sendable (Request, Context) async throws -> some ResponseGenerator) {
        router.on(RouterPath(path), method: method, use: handler)
        routes.append(RegisteredRoute(method: method, path: path))
        index.add(method, path)
    }
}

/// Which methods each path answers, readable from any request; GET implies HEAD.
final class RouteIndex: Sendable {
    private let methods = Mutex<[String: Set<String>]>([:])

    func add(_ method: HTTPRequest.Method, _ path: String) {
        methods.withLock { table in
            table[path, default: []].insert(method.rawValue)
            if method == .get { table[path, default: []].insert(HTTPRequest.Method.head.rawValue) }
        }
    }

    /// The methods `path` answers, sorted, or `nil` for a path the server does not have.
    func allowedMethods(for path: String) -> [String]? {
        methods.withLock { $0[path] }.map { $0.sorted() }
    }
}
