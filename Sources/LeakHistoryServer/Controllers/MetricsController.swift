import Foundation
import Hummingbird
import LeakHistory

/// `GET /metrics`: Prometheus text exposition of every source's memory and
/// verdict over the metrics window, and of the server's own figures.
///
/// ```yaml
/// scrape_configs:
///   - job_name: leak-history
///     static_configs: [{ targets: ["10.0.0.5:8080", "10.0.0.6:8080"] }]
/// ```
///
/// Per source, from the same window report as `GET /api/v1/memory/leaks`:
/// usage, baseline, the held bytes of the `metricsTopComponents` largest
/// components (the rest as one count and one sum, so a source with 100,000
/// components is still a small scrape), the verdict's rate of usage in bytes/s and %/hour, the verdict (0/1) and candidates per severity. A
/// source with no sample in the window reports only its verdict (0) and
/// zero candidates, so alerts do not fire on stale figures.
struct MetricsController<Context: RequestContext> {
    let resources: ServerResources

    func addRoutes(to routes: some RouterMethods<Context>) {
        routes.get("/metrics", use: metrics)
    }

    private struct SourceFigures: Sendable {
        var name: String
        var report: LeakReport
        /// The `metricsTopComponents` largest components by held bytes, largest first.
        var components: [(name: String, kind: ComponentKind, bytes: Int64)]
        /// The rest, summed: how many, and the bytes they hold together.
        var otherComponents: Int
        var otherBytes: Double
        /// The newest run of each version, judged over its own span.
        var versionRuns: [RunFigures]
    }

    private struct DatabaseFigures: Sendable {
        var schemaVersion: Int
        var sources: [SourceFigures]
        var counts: DatabaseCounts
    }

    /// The scrape: the database's figures (cached between writes, for at most
    /// `metricsCacheSecs`, and while they are rebuilt the previous ones are
    /// served), then the server's own, always fresh.
    @Sendable func metrics(_ request: Request, context: Context) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let cached = try await resources.metricsCache.text(
            key: DatabaseFileSignature(path: resources.database.path),
            maxAgeSecs: resources.configuration.metricsCacheSecs,
            build: { try await self.databaseExposition() })
        var out = PrometheusExposition()
        resources.metrics.write(to: &out)
        out.gauge("leak_history_metrics_age_seconds", help: "Age of the database figures of this scrape (they are cached between writes).",
                  value: cached.ageSecs)
        return Response(status: .ok, headers: [.contentType: PrometheusExposition.contentType, .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: cached.text + out.text)))
    }

    /// The per-source and database figures, read in one go.
    private func databaseExposition() async throws -> String {
        let started = ContinuousClock.now
        let now = resources.nowMs()
        let window = try TimeWindow(fromMs: now - resources.configuration.metricsWindowMs, toMs: now)
        let config = resources.configuration.detection
        let top = resources.configuration.metricsTopComponents
        let figures = try await resources.database.read { reader -> DatabaseFigures in
            var totals = DatabaseFigures(schemaVersion: try reader.schemaVersion, sources: [], counts: try reader.counts())
            for name in try reader.sources() {
                let report = try reader.report(source: name, window: window, config: config, nowMs: now)
                let held = try reader.latestComponentBytes(source: name, fromMs: window.fromMs, toMs: window.toMs)
                    .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.name < $1.name }
                let rest = held.dropFirst(top)
                totals.sources.append(SourceFigures(name: name, report: report, components: Array(held.prefix(top)),
                                                    otherComponents: rest.count,
                                                    otherBytes: rest.reduce(0) { $0 + Double($1.bytes) },
                                                    versionRuns: try reader.newestRunOfEachVersion(source: name, config: config, nowMs: now)))
            }
            return totals
        }

        var out = PrometheusExposition()
        Self.writeSources(figures.sources, window: window, to: &out)
        out.gauge("leak_history_database_size_bytes", help: "Size of the SQLite file and its write-ahead log.",
                  value: Double(Self.fileSize(resources.database.path) + Self.fileSize(resources.database.path + "-wal")))
        out.gauge("leak_history_database_schema_version", help: "Schema version of the database file.", value: Double(figures.schemaVersion))
        out.gauge("leak_history_database_sources", help: "Sources in the database.", value: Double(figures.sources.count))
        out.gauge("leak_history_database_runs", help: "Runs (process lifetimes) in the database.", value: Double(figures.counts.runs))
        out.gauge("leak_history_database_components", help: "Components in the database.", value: Double(figures.counts.components))
        out.gauge("leak_history_database_snapshot_rows", help: "Raw usage snapshots stored.", value: Double(figures.counts.snapshots))
        out.gauge("leak_history_database_component_sample_rows", help: "Raw component samples stored.", value: Double(figures.counts.componentSamples))
        out.gauge("leak_history_database_rollup_rows", help: "Minute and hour rollup rows stored.", value: Double(figures.counts.rollupRows))
        let elapsed = started.duration(to: .now)
        out.gauge("leak_history_metrics_collect_seconds", help: "Time the database figures took to read, when they were last read.",
                  value: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        return out.text
    }

    private static func writeSources(_ sources: [SourceFigures], window: TimeWindow, to out: inout PrometheusExposition) {
        out.gauge("leak_history_metrics_window_seconds", help: "Length of the window the per-source figures are computed over.",
                  value: Double(window.spanMs) / 1000)
        out.declare("leak_history_usage_bytes", help: "Latest memory usage of the source in the window.", type: .gauge)
        out.declare("leak_history_baseline_bytes", help: "Usage at the source's baseline, when one is set.", type: .gauge)
        out.declare("leak_history_component_bytes", help: "Bytes a component held at its latest sample in the window (the largest components of each source only).", type: .gauge)
        out.declare("leak_history_other_components", help: "Components with a sample in the window beyond the largest ones listed in leak_history_component_bytes.", type: .gauge)
        out.declare("leak_history_other_components_bytes", help: "Bytes those other components hold together.", type: .gauge)
        out.declare("leak_history_usage_growth_bytes_per_second", help: "Fitted rate of usage since the current regime began (the verdict's rate).", type: .gauge)
        out.declare("leak_history_usage_growth_percent_per_hour", help: "The rate as a percent of the regime's median usage per hour.", type: .gauge)
        out.declare("leak_history_growing_since_seconds", help: "Unix time the current leak began (present while the verdict says leaking).", type: .gauge)
        out.declare("leak_history_leak_detected", help: "1 when the window's verdict is a leak, else 0.", type: .gauge)
        out.declare("leak_history_leak_candidates", help: "Leak candidates in the window by severity.", type: .gauge)
        out.declare("leak_history_window_samples", help: "Usage samples in the window.", type: .gauge)
        out.declare("leak_history_time_to_limit_seconds", help: "Seconds until the configured memory limit at the verdict's rate.", type: .gauge)
        out.declare("leak_history_run_growth_bytes_per_second", help: "Rate of the newest run of each version, over that run after the warm-up: since onset when it leaks, else its net fitted rate.", type: .gauge)
        for source in sources {
            for run in source.versionRuns where run.isJudged {
                out.gauge("leak_history_run_growth_bytes_per_second", help: "", labels: ["source": source.name, "version": run.version ?? ""],
                          value: run.rateBytesPerHour / 3600)
            }
            let report = source.report
            let name = source.name
            out.gauge("leak_history_leak_detected", help: "", labels: ["source": name], value: report.hasLeaks ? 1 : 0)
            for severity in LeakSeverity.allCases {
                let count = report.leakCandidates.filter { $0.severity == severity }.count
                out.gauge("leak_history_leak_candidates", help: "", labels: ["source": name, "severity": severity.rawValue],
                          value: Double(count))
            }
            out.gauge("leak_history_window_samples", help: "", labels: ["source": name], value: Double(report.sampleCount))
            if let baseline = report.baselineBytes {
                out.gauge("leak_history_baseline_bytes", help: "", labels: ["source": name], value: Double(baseline))
            }
            guard report.sampleCount > 0 else { continue }
            out.gauge("leak_history_usage_bytes", help: "", labels: ["source": name], value: Double(report.currentBytes))
            if let trend = report.trend, trend.status == .leaking || trend.status == .notLeaking {
                out.gauge("leak_history_usage_growth_bytes_per_second", help: "", labels: ["source": name],
                          value: trend.rateBytesPerHour / 3600)
                out.gauge("leak_history_usage_growth_percent_per_hour", help: "", labels: ["source": name],
                          value: trend.ratePercentPerHour)
                if let since = trend.growingSinceMs {
                    out.gauge("leak_history_growing_since_seconds", help: "", labels: ["source": name], value: Double(since) / 1000)
                }
                if let secs = trend.timeToLimitSecs {
                    out.gauge("leak_history_time_to_limit_seconds", help: "", labels: ["source": name], value: secs)
                }
            }
            for component in source.components {
                out.gauge("leak_history_component_bytes", help: "",
                          labels: ["source": name, "component": component.name, "kind": component.kind.name],
                          value: Double(component.bytes))
            }
            out.gauge("leak_history_other_components", help: "", labels: ["source": name], value: Double(source.otherComponents))
            out.gauge("leak_history_other_components_bytes", help: "", labels: ["source": name], value: source.otherBytes)
        }
    }

    private static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
