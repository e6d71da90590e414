// LeakHistoryServer — the HTTP API, /metrics and the dashboard.
//
// Lives here: App/ (building the application and router, configuration,
// the connection pool HistoryDatabase, request context, metrics and their
// cache, Prometheus exposition, query parameters, API errors), Controllers/
// (one per group of routes), Middleware/ (JSON errors, bearer token,
// request metrics, timeouts), Resources/ (openapi.yaml and the dashboard's
// html, css and js, embedded at build time by EmbedResourcesPlugin).
//
// May import: LeakHistory (and LeakHistoryAnalysis), Hummingbird and its
// NIO and HTTP types, ServiceLifecycle, Logging and the system modules.
