import Foundation
import TestSupport
import LeakHistory
import Testing

/// An `ingest` that fails midway (here a full disk, for real) prints how many
/// events it committed and the line to resume from; resuming from there
/// stores the rest and nothing twice.
@Suite struct FailedIngestSaysWhatItStoredAndWhereToResumeTests {
    @Test func aFullDiskIngestNamesTheEventsStoredAndTheLineToResumeFrom() throws {
        guard let disk = SmallDisk(kilobytes: 640) else { return }
        let fixture = try ServerFixture()
        let file = fixture.directory.appendingPathComponent("events.ndjson").path
        let lines = 40_000
        let startMs = UnixTime.milliseconds(Date())
        try (0..<lines).map { #"{"ts_ms":\#(startMs + Int64($0)),"component":"c\#($0 % 40)","allocated_bytes":\#($0)}"# }
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let path = disk.path("ingest.sqlite")
        let run = try leakHistory(["ingest", "--db", path, "--batch", "1000", file])
        #expect(run.status == 1)
        #expect(run.stderr.contains("is full"))
        let stored = try #require(run.stderr.firstMatch(of: /stored (\d+) events, from the lines before line (\d+)/), "\(run.stderr)")
        let count = Int(stored.1)!, resumeLine = Int(stored.2)!
        #expect(count > 0 && count < lines)
        #expect(resumeLine == count + 1)
        #expect(run.stderr.contains("tail -n +\(resumeLine) \(file) | leak-history ingest --db \(path) -"))
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        var held = 0
        for component in try reader.components(source: "default") {
            held += try reader.componentSamples(source: "default", component: component.name).count
        }
        #expect(held == count)
        print("full disk: ingest stored \(count) of \(lines) events, resume from line \(resumeLine)")
    }
}
