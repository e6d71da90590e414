import Foundation

/// A Prometheus alerting-rule file for the recorders' own `/metrics`
/// (`leak-history serve`): a leak verdict that holds, and a memory limit close ahead.
///
/// ```yaml
/// rule_files: ["leak-history-rules.yml"]   # in prometheus.yml
/// ```
public struct AlertRules: Sendable {
    /// Extra matchers for every selector, e.g. `job="leak-history"`.
    public var matchers: String = ""
    /// How long the verdict must say leaking before the alert fires.
    public var leakFor: String = "15m"
    /// Alert when the limit is nearer than this many seconds.
    public var timeToLimitSecs: Int = 3600
    /// How long the limit must stay that near before the alert fires.
    public var limitFor: String = "5m"

    public init() {}

    /// Throws a clear message for a matcher list or duration Prometheus would refuse.
    public func validate() throws {
        for duration in [leakFor, limitFor] {
            guard duration.range(of: #"^([0-9]+(ms|s|m|h|d|w|y))+$"#, options: .regularExpression) != nil else {
                throw PrometheusError.badSetting("'\(duration)' is not a Prometheus duration (e.g. 15m, 1h30m)")
            }
        }
        guard timeToLimitSecs > 0 else { throw PrometheusError.badSetting("the time to limit must be positive") }
        guard !matchers.contains("{"), !matchers.contains("}"), !matchers.contains("\n") else {
            throw PrometheusError.badSetting("matchers are written without braces, e.g. job=\"leak-history\"")
        }
    }

    private func selector(_ metric: String) -> String {
        matchers.isEmpty ? metric : "\(metric){\(matchers)}"
    }

    /// The rule file, YAML.
    public var text: String {
        let detected = selector("leak_history_leak_detected")
        let limit = selector("leak_history_time_to_limit_seconds")
        return """
            # Alerting rules for LeakHistory recorders (`leak-history serve` /metrics).
            # Load with `rule_files:` in prometheus.yml; check with `promtool check rules`.
            groups:
              - name: leak-history
                rules:
                  - alert: LeakHistoryMemoryLeak
                    expr: \(detected) == 1
                    for: \(leakFor)
                    labels:
                      severity: warning
                    annotations:
                      summary: "Memory leak in {{ $labels.source }} ({{ $labels.instance }})"
                      description: >-
                        LeakHistory's trend verdict on {{ $labels.source }} has said leaking for \(leakFor).
                        Run `leak-history report --source {{ $labels.source }}` on the recorder for the components.
                  - alert: LeakHistoryMemoryLimitNear
                    expr: \(limit) < \(timeToLimitSecs) and on (instance, job, source) \(detected) == 1
                    for: \(limitFor)
                    labels:
                      severity: critical
                    annotations:
                      summary: "{{ $labels.source }} ({{ $labels.instance }}) reaches its memory limit in {{ $value | humanizeDuration }}"
                      description: >-
                        At the current growth {{ $labels.source }} reaches its configured memory limit
                        in {{ $value | humanizeDuration }}, and its verdict says leaking.

            """
    }
}
