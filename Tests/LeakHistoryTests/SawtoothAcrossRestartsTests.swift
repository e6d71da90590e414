import Foundation
import TestSupport
import Testing
@testable import LeakHistory

/// A sawtooth whose process restarts: the runs are joined at the troughs of
/// the lower envelope, not at whatever phase of the tooth each run ended in.
@Suite struct SawtoothAcrossRestartsTests {
    static let MiB: Int64 = 1_048_576

    /// The README's "Ingest, then ask" usage: a 1 MiB-a-sample tooth every
    /// 60 s over a session cache that grows 139,810 B every 10 s, restarted
    /// half-way (the cache starts again from empty), with `noiseKiB` of
    /// reading noise. (The README's own series has none: its troughs lie on
    /// two exact lines, so its residuals are all structure, and DESIGN.md
    /// says why that verdict stays unsure.)
    static func readmeUsage(noiseKiB: Double = 64, seed: UInt64 = 1) -> [TrendPoint] {
        let t0: Int64 = 1_795_500_000_000
        var rng = SeededRandom(state: seed)
        return (0..<360).map { i in
            let usage = 300 * Self.MiB + Int64(i % 180) * 139_810 + Int64(i % 6) * Self.MiB + Int64(rng.gaussian() * noiseKiB * 1024)
            return TrendPoint(tMs: t0 + Int64(i) * 10_000, bytes: usage, runID: i < 180 ? 1 : 2)
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theReadmeLeakUnderASawtoothIsFoundAcrossItsRestart(seed: UInt64) throws {
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: Self.readmeUsage(seed: seed))
        #expect(verdict.envelope != nil, "\(verdict.explanation)")
        #expect(verdict.analysis == .joinedRuns)
        #expect(verdict.status == .leaking, "\(verdict.explanation)")
        // 139,810 B every 10 s is 48.0 MiB/h.
        let rate = verdict.rateBytesPerHour / Double(Self.MiB)
        #expect(abs(rate - 48) / 48 < 0.1, "rate \(rate) MiB/h for 48: \(verdict.explanation)")
        let effective = try #require(verdict.checks.first { $0.kind == .noise }?.figures["effective_samples"])
        #expect(effective >= 10, "\(verdict.explanation)")
    }

    @Test func theReadmeReportSaysLeakingInItsUsageToo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path("api.sqlite")
        let t0: Int64 = 1_795_500_000_000
        var lines: [String] = []
        for (i, point) in Self.readmeUsage().enumerated() {
            let ts = t0 + Int64(i) * 10_000
            if i == 180 { lines.append(#"{"ts_ms": \#(ts), "source": "api", "event": "restart"}"#) }
            lines.append(#"{"ts_ms": \#(ts), "source": "api", "component": "sessions", "alloc_bytes": 139810}"#)
            lines.append(#"{"ts_ms": \#(ts), "source": "api", "usage_bytes": \#(point.bytes)}"#)
        }
        let decoded = EventDecoder(nowMs: t0).decodeAll(Data(lines.joined(separator: "\n").utf8))
        #expect(decoded.errors.isEmpty)
        let writer = try HistoryWriter(path: path)
        _ = try writer.ingest(decoded.events)
        try writer.close()
        let reader = try HistoryReader(path: path)
        defer { try? reader.close() }
        let window = try TimeWindow(fromMs: t0, toMs: t0 + 3_600_000)
        let report = try reader.report(source: "api", window: window, nowMs: window.toMs)
        #expect(report.hasLeaks)
        #expect(report.trend?.status == .leaking, "\(report.trend?.explanation ?? "-")")
        #expect(report.leakCandidates.map(\.component) == ["sessions"])
    }

    @Test func aFlatSawtoothRestartedEveryFiveMinutesIsNoStaircase() {
        // Each run starts at its trough and is stopped at the top of its
        // fifth tooth: joined at the samples, every restart would add a tooth.
        let t0: Int64 = 1_795_500_000_000
        var points: [TrendPoint] = []
        var rng = SeededRandom(state: 17)
        for i in 0..<360 {
            let noise = Int64(rng.gaussian() * 64 * 1024)
            let usage = 300 * Self.MiB + Int64(i % 6) * Self.MiB + noise
            points.append(TrendPoint(tMs: t0 + Int64(i) * 10_000, bytes: usage, runID: Int64(i / 30)))
        }
        let verdict = TrendAnalyzer(config: LeakDetectionConfig()).verdict(for: points)
        #expect(verdict.envelope != nil, "\(verdict.explanation)")
        #expect(verdict.status == .notLeaking, "\(verdict.explanation)")
    }
}
