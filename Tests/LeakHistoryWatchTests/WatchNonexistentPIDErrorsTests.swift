import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// A pid that does not exist, or has no user memory, is refused with an
/// error that names it, and nothing is written.
@Suite struct WatchNonexistentPIDErrorsTests {
    @Test func nonexistentPIDThrowsNoSuchProcessAndCreatesNoDatabase() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("watch.sqlite")
        let pid = unusedPID
        #expect(throws: WatchError.noSuchProcess(pid: pid)) {
            _ = try MemorySampler(pid: pid, databasePath: path, config: .forWatch(intervalSecs: 1, durationSecs: nil))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(WatchError.noSuchProcess(pid: pid).description == "no process with pid \(pid) (/proc/\(pid) does not exist)")
        #expect(throws: WatchError.noSuchProcess(pid: 0)) { _ = try ProcStatus.read(pid: 0) }
        #expect(throws: WatchError.noSuchProcess(pid: pid)) { _ = try MemorySampler.defaultSources(pids: [getpid(), pid]) }
    }

    @Test func reapedChildIsNoSuchProcess() throws {
        let child = try ChildProcess.spawn(["true"])
        #expect(child.waitForExit(timeoutSecs: 10) == .exited(0))
        #expect(throws: WatchError.noSuchProcess(pid: child.pid)) {
            _ = try MemorySampler(pid: child.pid, databasePath: ":memory:", config: .forWatch(intervalSecs: 1, durationSecs: nil))
        }
    }

    @Test(.enabled(if: kernelThreadPID != nil, "needs a visible kernel thread (none in a pid namespace)"))
    func kernelThreadIsRefused() throws {
        let pid = try #require(kernelThreadPID)
        #expect {
            _ = try MemorySampler(pid: pid, databasePath: ":memory:", config: .forWatch(intervalSecs: 1, durationSecs: nil))
        } throws: { error in
            guard case .kernelThread(pid, _) = error as? WatchError else { return false }
            return "\(error)".contains("kernel thread")
        }
    }

    @Test func commandNotFoundIsASpawnErrorWithTheShellsStatus() {
        #expect {
            _ = try ChildProcess.spawn(["leak-history-no-such-command"])
        } throws: { error in
            guard let error = error as? WatchError, case .spawnFailed(let command, _) = error else { return false }
            return command == "leak-history-no-such-command" && error.shellExitStatus == 127
                && error.description.contains("No such file or directory")
        }
    }
}

/// kthreadd, where the test can see it: pid 2 with no user memory.
let kernelThreadPID: Int32? = {
    guard let status = try? ProcStatus.read(pid: 2), !status.hasUserMemory, !status.isZombie else { return nil }
    return 2
}()
