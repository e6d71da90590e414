import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// However a watch of a command stops (--duration, Ctrl-C, SIGTERM, a closed
/// standard output), the whole tree the command started stops with it, the
/// run ends in the store, and the report is printed; no process of the tree
/// is left in /proc afterwards. The tree is a shell with two background
/// Python children: a non-interactive shell's background jobs ignore SIGINT,
/// so only the escalation to SIGTERM stops them.
@Suite struct WatchStopsWholeTreeTests {
    @Test func durationStopsTheWholeTree() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "2s", "--source", "tree", "--"]
                        + programs.shellTree([programs.leaky(mbPerSec: 2, seconds: 60), programs.steady(mb: 10, seconds: 60)]))
        }
        #expect(result.status == 124, "\(result.stderr)")
        #expect(result.stdout.contains("verdict:"))
        #expect(programs.survivors().isEmpty, "left running: \(programs.survivors())")
        #expect(result.stdout.contains("; --duration reached"))
        try Self.expectEndedRun(db: db, source: "tree")
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalToTheWatchStopsTheWholeTree(signal: Int32) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let exe = try CLI.executable
        let (status, stdout, stderr) = try await offThePool {
            let process = Process()
            process.executableURL = exe
            process.arguments = ["watch", "--db", db, "--interval", "100ms", "--source", "tree", "--"]
                + programs.shellTree([programs.leaky(mbPerSec: 2, seconds: 60), programs.steady(mb: 10, seconds: 60)])
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // Signal once both children run, whatever the machine's speed.
            #expect(programs.waitForPrograms(2))
            kill(process.processIdentifier, signal)
            let errBox = OutputBox()
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            group.wait()
            process.waitUntilExit()
            return (process.terminationStatus, stdout, String(decoding: errBox.data, as: UTF8.self))
        }
        #expect(programs.survivors().isEmpty, "left running: \(programs.survivors())")
        // The shell dies of the signal passed on to it.
        #expect(status == 128 + signal, "\(stderr)")
        #expect(stdout.contains("; interrupted"))
        #expect(stdout.contains("verdict:"))
        try Self.expectEndedRun(db: db, source: "tree")
    }

    @Test func aClosedStandardOutputStopsTheTreeAndTheReportGoesToStandardError() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let exe = try CLI.executable.path
        let statusFile = dir.path("status"), errFile = dir.path("stderr")
        // `… | head -1`: the command's first line ends head, which closes the pipe.
        let tree = "echo first; " + [programs.leaky(mbPerSec: 2, seconds: 60), programs.steady(mb: 10, seconds: 60)]
            .map { "\($0) &" }.joined(separator: " ") + " wait"
        let pipeline = "{ '\(exe)' watch --db '\(db)' --interval 100ms --source tree -- /bin/sh -c '\(tree)' 2>'\(errFile)'; "
            + "echo $? >'\(statusFile)'; } | head -1"
        let result = try await offThePool { try CLI.runProgram(["/bin/sh", "-c", pipeline]) }
        #expect(result.stdout == "first\n")
        let status = try String(contentsOfFile: statusFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let stderr = try String(contentsOfFile: errFile, encoding: .utf8)
        #expect(status == "\(128 + SIGPIPE)", "\(stderr)")
        #expect(stderr.contains("standard output was closed"))
        #expect(stderr.contains("verdict:"), "the report goes to standard error: \(stderr)")
        #expect(programs.survivors().isEmpty, "left running: \(programs.survivors())")
        #expect(stderr.contains("; standard output was closed"))
        try Self.expectEndedRun(db: db, source: "tree")
    }

    @Test func anOrphanedGrandchildIsStillStopped() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        // The inner shell exits at once: its child is re-parented (to leak-history, a subreaper).
        let orphaning = "/bin/sh -c '\(programs.steady(mb: 10, seconds: 60)) &'; sleep 60"
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "2s", "--", "/bin/sh", "-c", orphaning])
        }
        #expect(result.status == 124, "\(result.stderr)")
        #expect(programs.survivors().isEmpty, "left running: \(programs.survivors())")
    }

    /// The one run of `source` has its end stamped.
    static func expectEndedRun(db: String, source: String) throws {
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let runs = try reader.runs(source: source)
        #expect(runs.count == 1)
        #expect(runs.first?.endedMs != nil)
    }
}

private final class OutputBox: @unchecked Sendable {
    // @unchecked: written once by the reader thread before group.wait() returns.
    var data = Data()
}
