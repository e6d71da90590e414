import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryPrometheus

/// `leak-history rules`: a Prometheus alerting-rule file for the recorders' /metrics.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Print Prometheus alerting rules for the /metrics of `leak-history serve`.",
        discussion: """
            Two alerts: LeakHistoryMemoryLeak (leak_history_leak_detected == 1 for --for) and \
            LeakHistoryMemoryLimitNear (leak_history_time_to_limit_seconds under --time-to-limit while leaking). \
            Save the output and list it under rule_files: in prometheus.yml.
            """
    )

    @Option(help: ArgumentHelp("Matchers added to every selector, e.g. 'job=\"leak-history\"'.", valueName: "matchers"))
    var matchers = ""

    @Option(name: .customLong("for"), help: ArgumentHelp("How long a leak verdict must hold before the alert fires (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var leakFor = "15m"

    @Option(help: ArgumentHelp("Alert when the memory limit is nearer than this (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var timeToLimit: DurationOption = "1h"

    func run() throws {
        var rules = AlertRules()
        rules.matchers = matchers
        rules.leakFor = leakFor
        rules.timeToLimitSecs = Int(timeToLimit.wholeSeconds)
        do {
            try rules.validate()
        } catch let error as PrometheusError {
            throw CleanExit.failure("error: \(error)")
        }
        print(rules.text, terminator: "")
    }
}
