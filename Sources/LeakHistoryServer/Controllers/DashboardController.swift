import Hummingbird

/// The dashboard: `GET /` serves `Resources/dashboard.html`, which loads
/// `dashboard.css` and `dashboard.js` from this server and then reads
/// nothing but its JSON API, so it works with no network beyond this server.
///
/// It shows an overview of every source (verdict, usage, rate, growing
/// since, a sparkline; worst first, a click opens one), then for the chosen
/// source and window: the verdict and its explanation, usage over time as a
/// min–max band around the mean with the baseline and run starts marked, each
/// component over time likewise, the leak candidates by severity with their
/// growth and share, and the recommendations. Times are ISO-8601 UTC. Window
/// picker (auto: the server's default window, 1h, 24h, 7d, 30d, custom) and
/// auto-refresh; the choice is kept in the URL fragment. It opens on the
/// worst leaking source, else on the most recently active one.
struct DashboardController<Context: RequestContext> {
    /// The page and its two files, with their content types.
    static var files: [(path: String, contentType: String, body: String)] {
        [
            ("/", "text/html; charset=utf-8", EmbeddedResources.dashboardHtml),
            ("/dashboard.css", "text/css; charset=utf-8", EmbeddedResources.dashboardCss),
            ("/dashboard.js", "text/javascript; charset=utf-8", EmbeddedResources.dashboardJs),
        ]
    }

    func addRoutes(to routes: some RouterMethods<Context>) {
        for file in Self.files {
            let response = Self.response(contentType: file.contentType, body: file.body)
            routes.get(RouterPath(file.path)) { _, _ in response }
        }
    }

    static func response(contentType: String, body: String) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        // Nothing but this server may be reached from the page: it cannot
        // leak the history elsewhere, and it proves the page needs no CDN.
        // No inline script or style: the page's code is its two files.
        headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
