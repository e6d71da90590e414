import Foundation
import Hummingbird
import HummingbirdCore
import LeakHistory
import Logging
import NIOCore

/// Builds the LeakHistory HTTP application on an open database.
///
/// ```swift
/// let database = try HistoryDatabase(path: configuration.databasePath, logger: logger)
/// var app = try buildApplication(configuration, database: database, logger: logger)
/// app.addServices(database)      // closed after the server stopped
/// try await app.runService()     // until SIGINT or SIGTERM
/// ```
///
/// `HistoryDatabase` is a service: added to the application, it is closed on
/// graceful shutdown after the HTTP server has answered its last request
/// (a service group stops its services in reverse order). A caller that
/// keeps the database for longer (tests running several applications on one
/// file) leaves it out and closes it itself.
public func buildApplication(
    _ configuration: ServerConfiguration,
    database: HistoryDatabase,
    logger: Logger,
    now: @escaping @Sendable () -> Date = { Date() },
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> Application<RouterResponder<ServerRequestContext>> {
    try configuration.validate()
    let resources = ServerResources(configuration: configuration, database: database, logger: logger, now: now)
    let router = buildRouter(resources)
    // Slow or silent clients are closed (RequestTimeoutHandler), and at most
    // maxConnections are served at once: the rest wait in the listen backlog.
    let headerTimeout = TimeAmount.milliseconds(configuration.headerTimeoutMs)
    let bodyTimeout = TimeAmount.milliseconds(configuration.bodyTimeoutMs)
    let metrics = resources.metrics
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [RequestTimeoutHandler(headerTimeout: headerTimeout, bodyTimeout: bodyTimeout,
                                                          onTimeout: { metrics.recordTimeout($0) })],
        idleTimeout: headerTimeout)
    return Application(
        router: router,
        server: .http1(configuration: http1),
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: "leak-history",
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)
        ),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.info("serving", metadata: [
                "http.host": "\(configuration.host)", "http.port": "\(port)", "db.path": "\(configuration.databasePath)",
                "auth": "\(configuration.token == nil ? "none" : configuration.protectReads ? "bearer token for writes and reads" : "bearer token for writes")",
            ])
            await onServerRunning(port)
        },
        logger: logger
    )
}

/// The router with every LeakHistory route and middleware.
///
/// Middleware order, outermost first: request metrics (they see the final
/// status), JSON errors (every failure becomes `{"error": …}`), then the
/// bearer token on writes when one is configured. `router.routes` lists
/// what is served (the OpenAPI test reads it).
public func buildRouter(_ resources: ServerResources) -> Router<ServerRequestContext> {
    let router = Router(context: ServerRequestContext.self, options: .autoGenerateHeadEndpoints)
    let index = RouteIndex()
    router.add(middleware: RequestMetricsMiddleware(metrics: resources.metrics))
    router.add(middleware: JSONErrorMiddleware(maxBodyBytes: resources.configuration.maxBodyBytes, routes: index))
    router.add(middleware: LogRequestsMiddleware(.debug))
    if let token = resources.configuration.token {
        let configuration = resources.configuration
        var open: Set<String> = []
        if !configuration.protectHealth { open.insert("/health") }
        if !configuration.protectMetrics { open.insert("/metrics") }
        router.add(middleware: BearerTokenMiddleware(token: token, protectReads: configuration.protectReads, openPaths: open))
    }
    DashboardController().addRoutes(to: router)
    HealthController(resources: resources).addRoutes(to: router)
    MetricsController(resources: resources).addRoutes(to: router)
    let api = router.group("/api/v1/memory")
    LeaksController(resources: resources).addRoutes(to: api)
    CompareController(resources: resources).addRoutes(to: api)
    EventsController(resources: resources).addRoutes(to: api)
    BaselineController(resources: resources).addRoutes(to: api)
    TrendController(resources: resources).addRoutes(to: api)
    ExportController(resources: resources).addRoutes(to: api)
    // The 405 answers need every path's methods; the router lists them.
    index.add(router.routes.map { (method: $0.method, path: $0.path.description) })
    return router
}
