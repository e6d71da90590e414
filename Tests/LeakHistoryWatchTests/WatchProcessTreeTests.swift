import Foundation
import TestSupport
import Testing
@testable import LeakHistory
@testable import LeakHistoryWatch

/// A watched command is watched with its descendants: a shell starting real
/// Python children is sampled as one tree whose total is the sum of its
/// processes' PSS, each program is a part (summed over its processes), and
/// the child that grows is the one the report names.
@Suite struct WatchProcessTreeTests {
    @Test func treeTotalIsTheSumOfItsProcessesPSSAndEachProgramIsOnePart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let path = dir.path("watch.sqlite")
        let (reading, usage, independentPSS, independentRSS, survivors) = try await offThePool {
            // Two processes of one program, and the shell: three processes, two programs.
            let shell = try ChildProcess.spawn(programs.shellTree([programs.steady(mb: 30, seconds: 60),
                                                                   programs.steady(mb: 50, seconds: 60)]))
            let tree = ProcessTree(root: shell.pid)
            defer { _ = ProcessTreeStopper.stop(shell, tree: tree, firstSignal: SIGTERM, graceSecs: 2) }
            #expect(programs.waitForPrograms(2))
            // Past their allocation: both hold their blocks, and the tree's RSS has stopped moving.
            let deadline = Date(timeIntervalSinceNow: 30)
            var previous: Int64 = 0, stableReads = 0
            while Date() < deadline, stableReads < 3 {
                let rss = Self.independentSum(tree: shell.pid).rss
                stableReads = rss > 80 << 20 && abs(rss - previous) < 256 << 10 ? stableReads + 1 : 0
                previous = rss
                usleep(100_000)
            }

            let config = LeakDetectionConfig.forWatch(intervalSecs: 0.1, durationSecs: 5)
            let sampler = try MemorySampler(processTree: shell.pid, databasePath: path, source: "tree", config: config,
                                            pssSchedule: PSSSchedule(maxAgeSecs: 0))
            try sampler.sample()
            let independent = Self.independentSum(tree: shell.pid)
            try sampler.end()
            let reading = try #require(sampler.lastReading)
            let usage = try #require(sampler.treeUsage)
            _ = ProcessTreeStopper.stop(shell, tree: tree, firstSignal: SIGTERM, graceSecs: 2)
            return (reading, usage, independent.pss, independent.rss, programs.survivors())
        }
        #expect(usage.processes == 3, "\(usage)")
        #expect(usage.pssProcesses == 3, "\(usage)")
        // The same processes' PSS, read by the test itself a moment later: within 3 %.
        let ratio = Double(reading.totalBytes) / Double(independentPSS)
        #expect(abs(ratio - 1) < 0.03, "tree total \(reading.totalBytes), the processes' PSS \(independentPSS)")
        // PSS counts the interpreter's shared pages once: less than the sum of RSS.
        #expect(reading.totalBytes < independentRSS)
        #expect(reading.totalBytes > 80 << 20, "both children's blocks are in the total")

        let parts = Dictionary(uniqueKeysWithValues: reading.parts.map { ($0.component, $0.bytes) })
        let steady = try #require(parts["proc:python3 steady.py"], "\(parts.keys.sorted())")
        #expect(steady > 80 << 20, "the two steady.py processes are summed in one part")
        #expect(parts["proc:sh"] != nil)
        let programParts = reading.parts.filter { $0.component.hasPrefix("proc:") }
        #expect(programParts.count == 2, "\(programParts.map(\.component))")
        // The program parts share out the total.
        #expect(programParts.map(\.bytes).reduce(0, +) == reading.totalBytes)
        #expect(survivors.isEmpty, "left running: \(survivors)")
    }

    @Test func theGrowingChildIsNamedAndTheSteadyOneIsNot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "5s", "--json", "--source", "forker", "--"]
                        + programs.shellTree([programs.leaky(mbPerSec: 8, seconds: 30), programs.steady(mb: 20, seconds: 30)]))
        }
        #expect(result.status == 124, "\(result.stderr)")
        #expect(programs.survivors().isEmpty)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["has_leaks"] as? Bool == true)
        let candidates = (json["leak_candidates"] as? [[String: Any]] ?? []).compactMap { $0["component"] as? String }
        #expect(candidates.contains("proc:python3 leaky.py"), "\(candidates)")
        #expect(!candidates.contains("proc:python3 steady.py"), "\(candidates)")

        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let names = Set(try reader.components(source: "forker").map(\.name))
        #expect(names.isSuperset(of: ["proc:python3 leaky.py", "proc:python3 steady.py", "proc:sh", "rss_anon"]), "\(names)")
        // The usage series is the tree's: far above what the shell alone holds.
        let last = try #require(try reader.snapshots(source: "forker").last)
        #expect(last.usageBytes > 40 << 20, "\(last.usageBytes)")
    }

    /// The tree is watched with `--pid` once it is up: the first sample (the
    /// only progress line of a 3 s watch that is not on a terminal) sees its
    /// three processes, steady.py has its block before the watch starts, and
    /// leaky.py grows through all of it. Started with `--`, the programs would
    /// start up under the watch, and on a loaded machine the first sample
    /// could see the shell alone, or steady.py still allocating its block.
    @Test func textReportListsTheProgramsAndSaysWhatTheTotalIs() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            let shell = try ChildProcess.spawn(programs.shellTree([programs.leaky(mbPerSec: 8, seconds: 60),
                                                                   programs.steady(mb: 20, seconds: 60, announcing: true)]))
            let tree = ProcessTree(root: shell.pid)
            defer { _ = ProcessTreeStopper.stop(shell, tree: tree, firstSignal: SIGTERM, graceSecs: 2) }
            #expect(programs.waitForReady(1), "steady.py has touched its block")
            #expect(programs.waitForPrograms(2))
            return try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "3s", "--pid", "\(shell.pid)"])
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("usage: PSS of 3 processes of the tree"), "\(result.stdout)")
        #expect(result.stdout.contains("programs in the tree:"))
        let leakyLine = result.stdout.split(separator: "\n").first { $0.contains("python3 leaky.py") && $0.contains("MB (+") }
        #expect(leakyLine?.contains("GROWING") == true, "\(result.stdout)")
        let steadyLine = result.stdout.split(separator: "\n").first { $0.contains("python3 steady.py") && $0.contains("MB (") }
        #expect(steadyLine?.contains("not growing") == true, "\(result.stdout)")
        #expect(result.stderr.contains("in 3 processes"), "the progress line counts the tree: \(result.stderr)")
        #expect(programs.survivors().isEmpty)
    }

    @Test func noChildrenWatchesTheTopProcessAlone() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let db = dir.path("watch.sqlite")
        let result = try await offThePool {
            try CLI.run(["watch", "--db", db, "--interval", "100ms", "--duration", "2s", "--no-children", "--source", "alone", "--"]
                        + programs.shellTree([programs.steady(mb: 40, seconds: 30)]))
        }
        #expect(result.status == 124, "\(result.stderr)")
        // The tree is still stopped as a whole.
        #expect(programs.survivors().isEmpty)
        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        let names = try reader.components(source: "alone").map(\.name)
        #expect(!names.contains { $0.hasPrefix("proc:") }, "\(names)")
        let last = try #require(try reader.snapshots(source: "alone").last)
        #expect(last.usageBytes < 20 << 20, "the shell alone, not its 40 MB child: \(last.usageBytes)")
    }

    @Test func aWatcherAttachedToItsOwnAncestorDoesNotSampleItself() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        // This test process is a descendant of its parent, and so is the shell it starts.
        let (members, shell) = try await offThePool {
            let shell = try ChildProcess.spawn(programs.shellTree([programs.steady(mb: 5, seconds: 30)]), ownProcessGroup: false)
            let tree = ProcessTree(root: getppid())
            defer { _ = ProcessTreeStopper.stop(shell, tree: ProcessTree(root: shell.pid), firstSignal: SIGTERM, graceSecs: 2) }
            #expect(programs.waitForPrograms(1))
            return (tree.scan(), shell.pid)
        }
        #expect(!members.contains(getpid()))
        #expect(members.first == getppid())
        #expect(members.contains(shell), "the watcher's own children are still in the tree")
        #expect(programs.survivors().isEmpty)
    }

    /// The scan lists `/proc` only when the kernel handed out a pid since the
    /// last listing: a child started between two scans moves the newest pid,
    /// so it is listed and found; between listings the members stay as they are.
    @Test func aChildStartedBetweenScansIsFoundThroughTheNewestPID() async throws {
        let (before, after, found, searchesGrew) = try await offThePool {
            // The shell counts with builtins (no process) for a moment, then starts a child.
            let parent = try ChildProcess.spawn(["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30"])
            defer { _ = ProcessTreeStopper.stop(parent, tree: ProcessTree(root: parent.pid), firstSignal: SIGTERM, graceSecs: 2) }
            let tree = ProcessTree(root: parent.pid)
            let before = ProcessTree.newestPID()
            let alone = tree.scan() == [parent.pid]
            let searches = tree.searches
            var found = false
            for _ in 0..<100 where !found {
                usleep(50_000)
                found = tree.scan().count == 2
            }
            let searchedWithoutListing = !tree.followsChildren || tree.listings == 0
            return (before, ProcessTree.newestPID(), alone && found, tree.searches > searches && searchedWithoutListing)
        }
        let newest = try #require(before)
        #expect(after != newest, "a process was created: the newest pid moved")
        #expect(found, "the shell alone at first, then with the child it started between two scans")
        #expect(searchesGrew, "the new pid made the scan look for new members (through children files: /proc never listed)")
    }

    /// Through `/proc/PID/task/TID/children`, the scan finds children and
    /// grandchildren without listing `/proc`; listing `/proc` (the fallback for
    /// kernels without those files, or for members with many threads) finds
    /// the same tree, as does the test's own walk of every pid's parent.
    @Test func childrenFilesAndAListingOfProcFindTheSameTree() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let programs = try PythonPrograms(in: dir.url.path)
        let (followed, listed, walked, followsChildren, listingsWhenFollowing, listingsWhenListing) = try await offThePool {
            // sh → (sh → python3 steady.py) and python3 steady.py: four processes, one a grandchild.
            let inner = "/bin/sh -c '\(programs.steady(mb: 1, seconds: 60)) & wait'"
            let shell = try ChildProcess.spawn(["/bin/sh", "-c", "\(inner) & \(programs.steady(mb: 1, seconds: 60)) & wait"])
            defer { _ = ProcessTreeStopper.stop(shell, tree: ProcessTree(root: shell.pid), firstSignal: SIGTERM, graceSecs: 2) }
            #expect(programs.waitForPrograms(2))
            let following = ProcessTree(root: shell.pid)
            let listing = ProcessTree(root: shell.pid)
            listing.maxThreadsToFollow = 0
            let followed = Set(following.scan()), listed = Set(listing.scan())
            return (followed, listed, Set(Self.independentTree(root: shell.pid)), following.followsChildren,
                    following.listings, listing.listings)
        }
        #expect(followed.count == 4, "\(followed)")
        #expect(followed == walked, "children files: \(followed), every pid's parent: \(walked)")
        #expect(listed == walked, "listing: \(listed), every pid's parent: \(walked)")
        #expect(listingsWhenListing == 1)
        if followsChildren { #expect(listingsWhenFollowing == 0) }
        #expect(programs.survivors().isEmpty)
    }

    /// `root` and its live descendants, found by the test from every pid's parent.
    static func independentTree(root: Int32) -> [Int32] {
        var parents: [Int32: Int32] = [:]
        for pid in ProcessTree.listPIDs() {
            if let stat = ProcStat.read(pid: pid), !stat.isZombie { parents[pid] = stat.parentPID }
        }
        return parents.keys.filter { pid in
            var current = pid
            for _ in 0..<64 {
                if current == root { return true }
                guard let parent = parents[current] else { return false }
                current = parent
            }
            return false
        }
    }

    /// The PSS and RSS of `root` and its descendants, read by the test from `/proc`.
    static func independentSum(tree root: Int32) -> (pss: Int64, rss: Int64) {
        var pss: Int64 = 0, rss: Int64 = 0
        for pid in independentTree(root: root) {
            let rollup = SmapsRollup.parse((try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)) ?? "")
            pss += rollup.pssBytes ?? 0
            rss += rollup.rssBytes ?? 0
        }
        return (pss, rss)
    }
}
