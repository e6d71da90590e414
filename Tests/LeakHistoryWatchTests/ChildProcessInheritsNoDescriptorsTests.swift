import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// A command started by `watch` (`ChildProcess`) gets standard input, output
/// and error and no other descriptor of the watcher's: an open pipe in the
/// parent must not stay open in the child (it would keep the pipe's reader
/// from ever seeing its end while the child lives).
@Suite struct ChildProcessInheritsNoDescriptorsTests {
    @Test func aSpawnedCommandSeesOnlyDescriptorsZeroToTwo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let listing = dir.path("fds.txt")
        let pipe = Pipe()   // open in this process, not close-on-exec
        defer { try? pipe.fileHandleForReading.close(); try? pipe.fileHandleForWriting.close() }
        let child = try ChildProcess.spawn(["/bin/sh", "-c", "exec > '\(listing)'; ls /proc/$$/fd"])
        let status = child.waitForExit(timeoutSecs: 10)
        #expect(status != nil)
        let fds = try String(contentsOfFile: listing, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }.sorted()
        // `exec >` replaces descriptor 1 without saving it: nothing past 2 is left.
        #expect(fds.allSatisfy { $0 <= 2 }, "the child held descriptors \(fds)")
        #expect(fds.contains(0))
    }
}
