import Foundation
import TestSupport
import Hummingbird
import HummingbirdTesting
import Testing
@testable import LeakHistoryServer

/// `GET /` serves the dashboard as one page that loads nothing from
/// elsewhere (no CDN, no font), and only calls routes the server has.
@Suite struct DashboardIsSelfContainedTests {
    @Test func thePageIsServedWithALockedDownPolicy() async throws {
        let fixture = try ServerFixture()
        try await fixture.test { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("default-src 'none'"))
                #expect(policy.contains("connect-src 'self'"))
                #expect(response.text.contains("<svg") || response.text.contains("createElementNS"))
            }
        }
    }

    @Test func itReferencesNothingOutsideThisServer() {
        let page = DashboardPage.html
        // The SVG namespace is an identifier, not something fetched.
        let urls = page.components(separatedBy: "http").dropFirst().map { "http" + $0.prefix(40) }
        #expect(urls.allSatisfy { $0.hasPrefix("http://www.w3.org/2000/svg") }, "\(urls)")
        for forbidden in ["<link rel=\"stylesheet\"", "@import", "<script src", "url(", "fonts.googleapis"] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
    }

    @Test func itOnlyCallsServedRoutes() async throws {
        let routes = try await OpenAPIDocumentMatchesTheServerTests.registeredRoutes().map(\.path)
        let calls = DashboardPage.html.components(separatedBy: "api(\"").dropFirst().map { $0.prefix { $0 != "\"" && $0 != "?" } }
        #expect(Set(calls) == ["/api/v1/memory/sources", "/api/v1/memory/overview", "/api/v1/memory/leaks", "/api/v1/memory/trend",
                               "/api/v1/memory/baseline", "/api/v1/memory/runs", "/api/v1/memory/versions", "/health"])
        for call in calls { #expect(routes.contains(String(call)), "\(call)") }
    }

    /// Times read the same in every locale: ISO-8601 UTC, never the browser's locale format.
    @Test func itFormatsNoTimeByLocale() {
        #expect(!DashboardPage.html.contains("toLocale"))
        #expect(DashboardPage.html.contains("toISOString()"))
    }
}
