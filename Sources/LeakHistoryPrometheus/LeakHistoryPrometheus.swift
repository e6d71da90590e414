// LeakHistoryPrometheus — a fleet's verdicts on the Prometheus it runs.
//
// Lives here: the Prometheus HTTP API client (range queries, retries,
// credentials), the parsing of its responses into memory series, the fleet
// analysis (one verdict per series, runs split at restarts), importing a
// fleet's series into a history file, and the alert rules for its own
// /metrics.
//
// May import: LeakHistory (and LeakHistoryAnalysis), AsyncHTTPClient,
// NIOCore and the system modules; its own target so an app that embeds the
// recorder links no HTTP client.
