import ServiceLifecycle

/// The database as a service of the application's service group: it waits
/// for graceful shutdown, then lets queued work finish and closes every
/// connection. Added after the HTTP server, it stops after it, so no request
/// finds it closed.
extension HistoryDatabase: Service {
    public func run() async throws {
        // Cancellation (a failed start, a second signal) closes it too.
        try? await gracefulShutdown()
        await close()
    }
}
