import Hummingbird

/// `GET /`: the dashboard, one self-contained page (inline CSS, JavaScript
/// and SVG) that reads the JSON API, so it works with no network beyond this server.
struct DashboardController<Context: RequestContext> {
    func addRoutes(to routes: RouteTable<Context>) {
        routes.get("/", use: page)
    }

    @Sendable func page(_ request: Request, context: Context) async throws -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        // Nothing but this server may be reached from the page: it cannot
        // leak the history elsewhere, and it proves the page needs no CDN.
        headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html)))
    }
}
