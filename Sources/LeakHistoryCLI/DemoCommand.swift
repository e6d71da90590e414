import ArgumentParser
import Foundation
import LeakHistory
import Synchronization

/// The first command a newcomer runs: records two components, one leaking and
/// one steady, on the default database, and prints the real report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Record a leaking and a steady component and print the verdicts.",
        discussion: """
            Drives a LeakRecorder in process on the chosen database (source "demo"): \
            "session_cache" keeps what it allocates, "request_buffers" frees everything. \
            Ten minutes of history are recorded on a simulated clock (one step every 10 s), \
            so the demo takes about a second; every figure printed comes from the real \
            detector and the real SQLite file.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The source name the demo records under.")
    var source = "demo"

    func run() throws {
        // The clock starts ten minutes ago and reaches now at the last step.
        let steps = 60
        let stepMs: Int64 = 10_000
        let start = UnixTime.milliseconds(Date()) - Int64(steps) * stepMs
        let clockMs = Mutex(start)
        let now: @Sendable () -> Date = { UnixTime.date(milliseconds: clockMs.withLock { $0 }) }

        let path = database.path
        let recorder = try LeakRecorder(
            path: path, options: RecorderOptions(source: source, flushIntervalSecs: 0), now: now)
        let cache = try recorder.component("session_cache")
        let buffers = try recorder.component("request_buffers")
        let runtimeMB: Int64 = 64
        recorder.recordSnapshot(usageBytes: runtimeMB * ByteSize.bytesPerMB)
        recorder.setLeakBaseline()

        for step in 1...steps {
            clockMs.withLock { $0 += stepMs }
            // 40 requests per step: each caches 64 KiB that is never evicted,
            // and borrows a 1 MiB buffer it gives back.
            for _ in 0..<40 {
                cache.trackAllocation(bytes: 64 * 1024)
                buffers.trackAllocation(bytes: 1 << 20)
                buffers.trackDeallocation(bytes: 1 << 20)
            }
            recorder.recordSnapshot(usageBytes: runtimeMB * ByteSize.bytesPerMB + cache.totals.heldBytes)
            if step % 6 == 0 { try recorder.flush() }
        }
        let report = recorder.detectLeaks()
        try recorder.close()

        let text = ReportText.forStandardOutput
        print(text.render(report, title: "LeakHistory demo: source '\(source)', 10 minutes of simulated history in \(path)"))
        let steady = report.leakCandidates.contains { $0.component == "request_buffers" }
        print("request_buffers: \(steady ? "flagged" : "not flagged") (it frees everything it allocates)")
        print("""

            Look further:
              leak-history report --db \(path) --source \(source)
              leak-history report --db \(path) --source \(source) --json
            """)
    }
}
