import Hummingbird
import Synchronization

/// Which methods each path answers, readable from any request (GET implies
/// HEAD), so a known path asked with the wrong method gets a 405 naming the
/// allowed ones. Filled from `Router.routes` once the routes are added.
final class RouteIndex: Sendable {
    private let methods = Mutex<[String: Set<String>]>([:])

    func add(_ routes: [(method: HTTPRequest.Method, path: String)]) {
        methods.withLock { table in
            for (method, path) in routes {
                table[path, default: []].insert(method.rawValue)
                if method == .get { table[path, default: []].insert(HTTPRequest.Method.head.rawValue) }
            }
        }
    }

    /// The methods `path` answers, sorted, or `nil` for a path the server does not have.
    func allowedMethods(for path: String) -> [String]? {
        methods.withLock { $0[path] }.map { $0.sorted() }
    }
}
