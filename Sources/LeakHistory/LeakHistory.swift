// LeakHistory — what an app embeds.
//
// Lives here: lock-free tracking and the seed's live detector (Tracking/),
// the recorder that persists snapshots and baselines (Recording/), the
// SQLite store with its rollups, chunks and retention (Store/), historic
// window reports, trends, comparisons and CSV export (Query/), and NDJSON
// event ingest (Ingest/).
//
// May import: LeakHistoryAnalysis (re-exported, so `import LeakHistory`
// gives the report model too), SQLiteStore, Logging, Foundation. Never the
// HTTP server, the watcher, ArgumentParser or an HTTP client.
@_exported import LeakHistoryAnalysis
