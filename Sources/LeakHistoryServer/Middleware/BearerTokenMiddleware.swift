import Hummingbird

/// Requires `Authorization: Bearer <token>` on requests that change the
/// history (POST, PUT, PATCH, DELETE); reads stay open, unless
/// `protectReads`, when every request needs it but those to `openPaths`
/// (by default `/health` and `/metrics`, for probes and scrapers).
///
/// ```swift
/// router.add(middleware: BearerTokenMiddleware(token: "3f9c…"))
/// router.add(middleware: BearerTokenMiddleware(token: "3f9c…", protectReads: true, openPaths: ["/health"]))
/// ```
///
/// The comparison takes the same time however much of the token matches, so
/// timing does not reveal it.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    var protectReads = false
    var openPaths: Set<String> = ["/health", "/metrics"]

    private static var writeMethods: Set<HTTPRequest.Method> { [.post, .put, .patch, .delete] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isWrite = Self.writeMethods.contains(request.method)
        guard isWrite || (protectReads && !openPaths.contains(request.uri.path)) else {
            return try await next(request, context)
        }
        let challenge: HTTPFields = [.wwwAuthenticate: #"Bearer realm="leak-history""#]
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "authorization: this server requires 'Authorization: Bearer <token>' on \(request.method) requests",
                           headers: challenge)
        }
        let prefix = "bearer "
        guard header.count > prefix.count, header.prefix(prefix.count).lowercased() == prefix,
              Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.count)), Array(token.utf8))
        else {
            throw APIError(.unauthorized, "authorization: the bearer token is wrong", headers: challenge)
        }
        return try await next(request, context)
    }

    /// Compares every byte of the expected token whatever the input, so the
    /// time taken does not depend on where the first difference is.
    static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in expected.indices {
            let byte = index < given.count ? given[index] : 0
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }
}
