import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// `leak-history demo`, the README's first command, watches its two real
/// children and prints the right verdict for each, with the true and the
/// measured leak rate.
@Suite struct WatchDemoShowsBothVerdictsTests {
    @Test func demoFlagsTheLeakerAndNotTheSteadyChild() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = dir.path("demo.sqlite")
        let result = try await offThePool { try CLI.run(["demo", "--db", db, "--seconds", "8"]) }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("two real child processes"))
        #expect(result.stdout.contains("demo-leaker: LEAKING — true rate 4.00 MiB/s, measured "))
        #expect(result.stdout.contains("demo-steady: no leak"))
        #expect(result.stdout.contains("leak-history report --db \(db) --source demo-leaker"))
        #expect(result.stdout.contains("leak-history serve --db \(db)"))

        let reader = try HistoryReader(path: db)
        defer { try? reader.close() }
        for source in ["demo-leaker", "demo-steady"] {
            let runs = try reader.runs(source: source)
            #expect(runs.count == 1 && runs[0].endedMs != nil, "\(source): \(runs)")
        }
    }
}
