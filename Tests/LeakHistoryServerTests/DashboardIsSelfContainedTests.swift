import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import Testing
@testable import LeakHistoryServer

/// `GET /` serves the dashboard's page, which loads its own two files
/// (`dashboard.css`, `dashboard.js`) from this server and nothing from
/// elsewhere (no CDN, no font), and only calls routes the server has.
@Suite struct DashboardIsSelfContainedTests {
    static let page = EmbeddedResources.dashboardHtml
    static let script = EmbeddedResources.dashboardJs
    static let style = EmbeddedResources.dashboardCss

    @Test func thePageIsServedWithALockedDownPolicy() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("default-src 'none'"))
                #expect(policy.contains("connect-src 'self'"))
                // No inline code is allowed: the page's code is its two files.
                #expect(policy.contains("script-src 'self';") && !policy.contains("unsafe-inline"))
                #expect(response.text.contains("<script src=\"dashboard.js\"></script>"))
                #expect(response.text.contains("<link rel=\"stylesheet\" href=\"dashboard.css\">"))
                #expect(!response.text.contains("<script>") && !response.text.contains("<style>"))
            }
            try await client.execute(uri: "/dashboard.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.text == Self.script)
                #expect(response.text.contains("createElementNS"))
            }
            try await client.execute(uri: "/dashboard.css", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/css; charset=utf-8")
                #expect(response.text == Self.style)
            }
        }
    }

    /// The embedded constants are the files in Resources/, byte for byte.
    @Test func theServedFilesAreTheResourceFiles() throws {
        let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/LeakHistoryServer/Resources")
        for (name, embedded) in [("dashboard.html", Self.page), ("dashboard.js", Self.script), ("dashboard.css", Self.style),
                                 ("openapi.yaml", OpenAPIDocument.yaml)] {
            let file = try String(contentsOf: resources.appendingPathComponent(name), encoding: .utf8)
            #expect(file == embedded, "\(name)")
        }
    }

    @Test func itReferencesNothingOutsideThisServer() {
        let page = Self.page + Self.script + Self.style
        // The SVG namespace is an identifier, not something fetched.
        let urls = page.components(separatedBy: "http").dropFirst().map { "http" + $0.prefix(40) }
        #expect(urls.allSatisfy { $0.hasPrefix("http://www.w3.org/2000/svg") }, "\(urls)")
        for forbidden in ["@import", "url(", "fonts.googleapis"] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
        // The only files the page loads are its own two, by relative path.
        let sources = Self.page.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        let links = Self.page.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(sources == ["dashboard.js"])
        #expect(links == ["data:,", "dashboard.css"])
    }

    @Test func itOnlyCallsServedRoutes() async throws {
        let routes = try await OpenAPIDocumentMatchesTheServerTests.registeredRoutes().map(\.path)
        let calls = Self.script.components(separatedBy: "api(\"").dropFirst().map { $0.prefix { $0 != "\"" && $0 != "?" } }
        #expect(Set(calls) == ["/api/v1/memory/sources", "/api/v1/memory/overview", "/api/v1/memory/leaks", "/api/v1/memory/trend",
                               "/api/v1/memory/baseline", "/api/v1/memory/runs", "/api/v1/memory/versions", "/health"])
        for call in calls { #expect(routes.contains(String(call)), "\(call)") }
    }

    /// Times read the same in every locale: ISO-8601 UTC, never the browser's locale format.
    @Test func itFormatsNoTimeByLocale() {
        #expect(!Self.script.contains("toLocale"))
        #expect(Self.script.contains("toISOString()"))
    }
}
