import Foundation
import TestSupport
import LeakHistory
@testable import LeakHistoryPrometheus
import Testing

/// The reader's parts that need no server: answers, chunks, restarts, onsets, rules.
struct PrometheusReaderTests {
    @Test func aMatrixAnswerParsesWhateverTheKeyOrder() throws {
        let text = #"""
            {"data":{"result":[{"values":[[1764000000,"104857600"],[1764000030.5,"1.048576e+08"],[1764000060,"NaN"]],
              "metric":{"instance":"a:9100","__name__":"process_resident_memory_bytes","note":"say \"hi\"\n"}}],
              "resultType":"matrix","extra":{"x":[1,true,null]}},"status":"success","warnings":["w1"]}
            """#
        guard case .series(let series, let warnings) = try PrometheusResponse.parse(Array(text.utf8)) else {
            Issue.record("not series"); return
        }
        #expect(warnings == ["w1"])
        #expect(series.count == 1)
        #expect(series[0].labels["instance"] == "a:9100")
        #expect(series[0].labels["note"] == "say \"hi\"\n")
        #expect(series[0].timesMs == [1_764_000_000_000, 1_764_000_030_500, 1_764_000_060_000])
        #expect(series[0].values[0] == 104_857_600 && series[0].values[1] == 104_857_600 && series[0].values[2].isNaN)
    }

    @Test func anErrorAnswerGivesTheServersMessage() throws {
        let text = #"{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}"#
        #expect(try PrometheusResponse.parse(Array(text.utf8))
            == .failure(errorType: "bad_data", message: "1:5: parse error: unclosed left parenthesis"))
    }

    @Test(arguments: [
        #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"]"#,
        #"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#,
        #"{"status":"success"}"#,
        #"<html>502 Bad Gateway</html>"#,
        #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"12abc"]]}]}}"#,
        #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1e300,"1"]]}]}}"#,
        #"{"status":"success","data":{"resultType":"matrix","result":[]}} trailing"#,
        "",
    ])
    func anythingElseIsAFormatError(text: String) {
        #expect(throws: PrometheusResponse.FormatError.self) { try PrometheusResponse.parse(Array(text.utf8)) }
    }

    @Test func chunksCoverTheRangeOnceUnderTheLimit() throws {
        let from: Int64 = 1_764_000_000_000, step: Int64 = 30_000, stepInt = 30_000
        for (points, limit) in [(1, 11_000), (2881, 11_000), (2881, 1000), (11_001, 11_000), (25_000, 7)] {
            let to = from + Int64(points - 1) * step
            let chunks = try PrometheusClient.chunks(fromMs: from, toMs: to, stepMs: step, pointsPerChunk: limit)
            let steps = chunks.flatMap { Array(stride(from: $0.startMs, through: $0.endMs, by: stepInt)) }
            #expect(steps == Array(stride(from: from, through: to, by: stepInt)), "\(points) points, limit \(limit)")
            #expect(chunks.allSatisfy { ($0.endMs - $0.startMs) / step + 1 <= Int64(limit) })
        }
        #expect(throws: PrometheusError.self) { try PrometheusClient.chunks(fromMs: 10, toMs: 0, stepMs: 1, pointsPerChunk: 5) }
        #expect(throws: PrometheusError.self) { try PrometheusClient.chunks(fromMs: .min, toMs: .max, stepMs: 1, pointsPerChunk: 5) }
    }

    @Test func chunksJoinPerLabelSetInTimeOrder() {
        let a = SeriesLabels(["instance": "a"]), b = SeriesLabels(["instance": "b"])
        let joined = PrometheusClient.joined([
            [PrometheusSeries(labels: b, timesMs: [1], values: [10]), PrometheusSeries(labels: a, timesMs: [1, 2], values: [1, 2])],
            [PrometheusSeries(labels: a, timesMs: [3], values: [3])],
            [PrometheusSeries(labels: b, timesMs: [5], values: [50])],
        ])
        #expect(joined == [PrometheusSeries(labels: a, timesMs: [1, 2, 3], values: [1, 2, 3]),
                           PrometheusSeries(labels: b, timesMs: [1, 5], values: [10, 50])])
    }

    @Test func timesAreSentAsExactSeconds() {
        #expect(PrometheusClient.seconds(1_764_000_000_000) == "1764000000")
        #expect(PrometheusClient.seconds(1_764_000_000_005) == "1764000000.005")
        #expect(PrometheusClient.seconds(-1500) == "-1.500")
        #expect(PrometheusClient.formEncoded(["query": "up{job=\"a b\"}", "end": "1"]) == "end=1&query=up%7Bjob%3D%22a%20b%22%7D")
    }

    private func series(_ labels: [String: String], _ values: [Double], startMs: Int64 = 0, stepMs: Int64 = 1000) -> PrometheusSeries {
        PrometheusSeries(labels: SeriesLabels(labels), timesMs: values.indices.map { startMs + Int64($0) * stepMs }, values: values)
    }

    @Test func aDropOverHalfTheLevelStartsARunAndASawtoothDoesNot() throws {
        let memory = series(["instance": "a"], [100, 110, 120, 40, 50, 60, 70, 35, 36])
        let fleet = try FleetSeriesBuilder(by: ["instance"]).build(memory: [memory])
        #expect(fleet.map(\.name) == ["a"])
        #expect(fleet[0].points.map(\.runID) == [0, 0, 0, 1, 1, 1, 1, 1, 1])
        let sawtooth = series(["instance": "s"], [100, 150, 200, 100, 150, 200, 101])
        #expect(try FleetSeriesBuilder().build(memory: [sawtooth])[0].runCount == 1)
    }

    @Test func aChangedStartTimeStartsARunOnceEvenWithADrop() throws {
        // Restart at t=4 s (memory drops and the start time changes), at t=7 s (start time only),
        // at t=10 s a drop whose start is stamped 0.5 s after it (the clocks differ).
        let memory = series(["instance": "a", "__name__": "mem"], [100, 101, 102, 103, 20, 21, 22, 90, 91, 92, 10, 11, 12])
        let starts = series(["instance": "a", "__name__": "process_start_time_seconds"],
                            [-10, -10, -10, -10, 4, 4, 4, 7, 7, 7, 7, 10.5, 10.5])
        let fleet = try FleetSeriesBuilder().build(memory: [memory], startTimes: [starts])
        #expect(fleet[0].points.map(\.runID) == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(fleet[0].runStarts == [0: -10_000, 1: 4000, 2: 7000, 3: 10_500])
        #expect(fleet[0].name == "{instance=\"a\"}")
    }

    @Test func seriesSharingTheByLabelsAreOneMemberWithARunEach() throws {
        let first = series(["instance": "a", "pod": "p1"], [100, 101, 102], startMs: 0)
        let second = series(["instance": "a", "pod": "p2"], [103, 104, 105], startMs: 3000)
        let other = series(["instance": "b", "pod": "p3"], [5, 5, 5])
        let fleet = try FleetSeriesBuilder(by: ["instance"]).build(memory: [second, other, first])
        #expect(fleet.map(\.name) == ["a", "b"])
        #expect(fleet[0].points.map(\.bytes) == [100, 101, 102, 103, 104, 105])
        #expect(fleet[0].points.map(\.runID) == [0, 0, 0, 1, 1, 1])
        #expect(fleet[0].labels == SeriesLabels(["instance": "a"]))
    }

    @Test func valuesThatAreNotBytesAreRefused() {
        #expect(throws: PrometheusError.self) { try FleetSeriesBuilder().build(memory: [series(["i": "a"], [1, -2])]) }
        #expect(throws: PrometheusError.self) { try FleetSeriesBuilder().build(memory: [series(["i": "a"], [1, 1e20])]) }
        #expect(throws: PrometheusError.self) {
            try FleetSeriesBuilder().build(memory: [series(["i": String(repeating: "x", count: 300)], [1, 2])])
        }
    }

    private func points(_ values: (Double) -> Double, hours: Double = 24, stepS: Double = 30, noiseMB: Double = 0.3) -> [TrendPoint] {
        var random = SeededRandom(state: 7)
        return stride(from: 0.0, through: hours * 3600, by: stepS).map { s in
            TrendPoint(tMs: Int64(s * 1000), bytes: Int64(((values(s / 3600) + random.gaussian() * noiseMB) * Double(MiB)).rounded()))
        }
    }


    @Test func rankingPutsTheSoonestLimitFirst() {
        func verdict(_ name: String, _ status: TrendVerdict.Status, rate: Double, ttl: Double?) -> FleetVerdict {
            var v = FleetAnalysis.verdict(for: FleetSeries(name: name, labels: SeriesLabels([:]), points: []), config: LeakDetectionConfig())
            v.status = status
            v.rateBytesPerHour = rate
            v.timeToLimitSecs = ttl
            return v
        }
        let ranked = FleetAnalysis.ranked([
            verdict("flat", .notLeaking, rate: 5, ttl: nil), verdict("empty", .insufficientData, rate: 0, ttl: nil),
            verdict("fast", .leaking, rate: 90, ttl: nil), verdict("near", .leaking, rate: 10, ttl: 600),
            verdict("slow", .leaking, rate: 20, ttl: nil), verdict("still", .notLeaking, rate: 1, ttl: nil),
        ])
        #expect(ranked.map(\.name) == ["near", "fast", "slow", "flat", "still", "empty"])
    }

    @Test func theStartTimeQueryFollowsAPlainSelector() {
        #expect(StartTimeQuery.derived(from: #"process_resident_memory_bytes{job="api"}"#) == #"process_start_time_seconds{job="api"}"#)
        #expect(StartTimeQuery.derived(from: "  container_memory_working_set_bytes ") == "process_start_time_seconds")
        #expect(StartTimeQuery.derived(from: "sum by (instance) (x)") == nil)
        #expect(StartTimeQuery.derived(from: "x[5m]") == nil)
        #expect(StartTimeQuery.derived(from: "process_start_time_seconds") == nil)
    }

    @Test func anUnreachableServerIsNamedInTheError() async throws {
        let port = try freeLoopbackPort()
        var server = try PrometheusServer(baseURL: "http://127.0.0.1:\(port)/")
        server.attempts = 2
        server.retryPauseSecs = 0.05
        let client = try PrometheusClient(server: server)
        do {
            _ = try await client.query("up", atMs: 1_764_000_000_000)
            Issue.record("no error")
        } catch let error as PrometheusError {
            #expect(error.description.hasPrefix("Prometheus at http://127.0.0.1:\(port) gave no answer after 2 attempts"), "\(error)")
        }
        try await client.shutdown()
        #expect(throws: PrometheusError.self) { try PrometheusServer(baseURL: "ftp://host") }
        #expect(throws: PrometheusError.self) { try PrometheusServer(baseURL: "http://user:pw@host:9090") }
        #expect(throws: PrometheusError.self) { try PrometheusServer(baseURL: "http://host:9090/?x=1") }
    }

    private static let matrix = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"instance":"a"},"value":[1764000000,"7"]}]}}"#

    private func client(_ server: ScriptedHTTPServer, _ configure: (inout PrometheusServer) -> Void = { _ in }) throws -> PrometheusClient {
        var settings = try PrometheusServer(baseURL: "http://127.0.0.1:\(server.port)")
        settings.retryPauseSecs = 0.01
        configure(&settings)
        return try PrometheusClient(server: settings)
    }

    @Test func unavailableAnswersAreRetriedWithTheBearerTokenEachTime() async throws {
        let server = try ScriptedHTTPServer([
            .init(status: 503, body: #"{"status":"error","errorType":"unavailable","error":"loading"}"#),
            .init(status: 502, body: "<html>bad gateway</html>"),
            .init(status: 200, body: Self.matrix),
        ])
        defer { server.stop() }
        let client = try client(server) { $0.credentials = .bearer("s3cret-token") }
        let series = try await client.query("up", atMs: 1_764_000_000_000)
        try await client.shutdown()
        #expect(series.map(\.values) == [[7]])
        #expect(server.requests.count == 3)
        #expect(server.requests.allSatisfy { $0.contains("authorization: Bearer s3cret-token") || $0.contains("Authorization: Bearer s3cret-token") })
        #expect(server.requests.allSatisfy { $0.hasPrefix("POST /api/v1/query HTTP/1.1") && $0.hasSuffix("query=up&time=1764000000") })
    }

    @Test func basicAuthIsSentAndARefusalIsNotRetried() async throws {
        let server = try ScriptedHTTPServer([.init(status: 401, body: "Unauthorized"), .init(status: 200, body: Self.matrix)])
        defer { server.stop() }
        let client = try client(server) { $0.credentials = .basic(user: "user", password: "pw") }
        do {
            _ = try await client.query("up", atMs: 1_764_000_000_000)
            Issue.record("no error")
        } catch let error as PrometheusError {
            #expect(error.description.hasPrefix("Prometheus at http://127.0.0.1:\(server.port) refused the request (HTTP 401"), "\(error)")
        }
        try await client.shutdown()
        #expect(server.requests.count == 1)
        #expect(server.requests.first?.lowercased().contains("authorization: basic dxnlcjpwdw==") == true)
    }

    @Test func aServerThatDoesNotAnswerInTimeIsNamed() async throws {
        // Never answers: however late a loaded machine runs the client's timer, a
        // reply cannot arrive first (one that answered after a delay once did).
        let server = try ScriptedHTTPServer([.never, .never])
        defer { server.stop() }
        let client = try client(server) {
            $0.timeoutSecs = 0.5
            $0.attempts = 2
        }
        do {
            _ = try await client.query("up", atMs: 1_764_000_000_000)
            Issue.record("no error")
        } catch let error as PrometheusError {
            // Where the deadline struck depends on the machine's load, not on the client: after the
            // request was sent ("timed out"), or, with the client's event loop starved for the whole
            // timeout, while the attempt still waited for its connection ("connection timed out").
            // Either is this server's name, both attempts, and a timeout, never another failure.
            let server = "http://127.0.0.1:\(server.port)"
            #expect(error == .unreachable(server: server, attempts: 2, reason: "timed out")
                    || error == .unreachable(server: server, attempts: 2, reason: "connection timed out"), "\(error)")
        }
        try await client.shutdown()
    }

    @Test func anAnswerThatIsNotTheAPIIsNamedAsSuch() async throws {
        let server = try ScriptedHTTPServer([.init(status: 200, body: "<html>login</html>"), .init(status: 404, body: "404 page not found")])
        defer { server.stop() }
        let client = try client(server)
        await #expect(throws: PrometheusError.malformed(server: "http://127.0.0.1:\(server.port)",
                                                       reason: "malformed Prometheus answer at byte 0: expected '{'")) {
            _ = try await client.query("up", atMs: 0)
        }
        await #expect(throws: PrometheusError.rejected(server: "http://127.0.0.1:\(server.port)", status: 404, errorType: "",
                                                      message: "404 page not found")) {
            _ = try await client.query("up", atMs: 0)
        }
        try await client.shutdown()
    }
}
