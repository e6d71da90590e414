import Foundation
import Testing
@testable import LeakHistoryServer

/// `serve` asks glibc to keep freed memory for the next request
/// (`FreedMemoryKept`): the settings are glibc's own and it accepts them.
@Suite struct ServeKeepsFreedMemoryForTheNextRequestTests {
    @Test func glibcAcceptsBothSettings() {
        #if canImport(Glibc)
        // mallopt returns 1 for a parameter it knows and a value it takes, 0 otherwise.
        #expect(FreedMemoryKept.forTheNextRequest())
        #endif
    }
}
