import Foundation
import TestSupport
import Hummingbird
import LeakHistory
import Testing
@testable import LeakHistoryServer

/// The server binds loopback by default and refuses, at startup, settings
/// that would expose the history or cannot work.
@Suite struct ServerConfigurationRefusesUnsafeSettingsTests {
    func configuration(_ change: (inout ServerConfiguration) -> Void) -> ServerConfiguration {
        var configuration = ServerConfiguration(databasePath: "/tmp/x.sqlite")
        change(&configuration)
        return configuration
    }

    @Test func theDefaultIsLoopbackAndValid() throws {
        let defaults = ServerConfiguration(databasePath: "/tmp/x.sqlite")
        #expect(defaults.host == "127.0.0.1")
        #expect(defaults.port == 8080)
        try defaults.validate()
    }

    @Test(arguments: ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "128.0.0.1"])
    func aNonLoopbackHostWithoutATokenIsRefused(host: String) throws {
        let error = #expect(throws: ServerConfigurationError.self) {
            try configuration { $0.host = host }.validate()
        }
        #expect(error?.message.contains("--allow-unauthenticated") == true)
        #expect(error?.message.contains(host) == true)
        try configuration { $0.host = host; $0.token = String(repeating: "k", count: 32) }.validate()
        try configuration { $0.host = host; $0.allowUnauthenticated = true }.validate()
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
    func loopbackNeedsNoToken(host: String) throws {
        #expect(ServerConfiguration.isLoopback(host))
        try configuration { $0.host = host }.validate()
    }

    @Test func weakTokensAndImpossibleSettingsAreRefused() {
        #expect(throws: ServerConfigurationError.self) { try configuration { $0.token = "short" }.validate() }
        #expect(throws: ServerConfigurationError.self) { try configuration { $0.token = "has a space in it, long enough" }.validate() }
        #expect(throws: ServerConfigurationError.self) { try configuration { $0.databasePath = ":memory:" }.validate() }
        #expect(throws: ServerConfigurationError.self) { try configuration { $0.port = 70_000 }.validate() }
        #expect(throws: InputError.self) { try configuration { $0.defaultSource = "" }.validate() }
    }
}
