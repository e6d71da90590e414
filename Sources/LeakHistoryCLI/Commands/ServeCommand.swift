import ArgumentParser
import Foundation
import Synchronization
import LeakHistory
import LeakHistoryServer
import Logging

/// `leak-history serve`: the HTTP API, `/metrics` and the dashboard on a database.
///
/// ```sh
/// leak-history serve --db leaks.sqlite                      # http://127.0.0.1:8080/
/// LEAK_HISTORY_TOKEN=$(openssl rand -hex 32) leak-history serve --host 0.0.0.0 --port 9090
/// ```
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API, Prometheus metrics and the dashboard for a database.",
        discussion: """
            Binds 127.0.0.1 unless told otherwise. With a token (--token or $LEAK_HISTORY_TOKEN), \
            POST and DELETE requests need 'Authorization: Bearer <token>'; GETs stay open unless \
            --protect-reads is given (/health and /metrics stay open unless --protect-health, \
            --protect-metrics). Binding \
            an address other than loopback without a token is refused unless --allow-unauthenticated \
            is given. The database is created (mode 0600) when missing. SIGINT or SIGTERM stops \
            the server gracefully: requests in flight are answered, then the database is closed.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var detection: DetectionOptions

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(help: ArgumentHelp("Require this bearer token on writes (default: $LEAK_HISTORY_TOKEN). Prefer the variable: options show in `ps`.",
                               valueName: "token"))
    var token: String?

    @Flag(help: "Allow a non-loopback --host without a token (only on a network you trust).")
    var allowUnauthenticated = false

    @Option(help: "The source of requests and event lines that name none.")
    var source = "default"

    @Option(help: ArgumentHelp("The window /metrics computes each source's figures over (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var metricsWindow: DurationOption = "10m"

    @Option(help: ArgumentHelp("Largest request body accepted, in MiB.", valueName: "mb"))
    var maxBodyMb = 8

    @Option(help: ArgumentHelp("The most components one source may have in the file; events naming more get 400.", valueName: "n"))
    var maxComponents = HistoryWriter.defaultMaxComponentsPerSource

    @Option(help: ArgumentHelp("Components per source /metrics lists one by one (the largest); the rest are summed.", valueName: "n"))
    var metricsTopComponents = 50

    @Option(help: ArgumentHelp("How long a request's write waits for other writers of the file before it answers 503 (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var busyTimeout: DurationOption = "15s"

    @Option(help: ArgumentHelp("Close a connection that has not sent a whole request head this long after it opened or after the last response (also the keep-alive idle limit) (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var headerTimeout: DurationOption = "10s"

    @Option(help: ArgumentHelp("Close a connection whose request body has not ended this long after its head (e.g. 30s, 10m, 1h).", valueName: "duration"))
    var bodyTimeout: DurationOption = "60s"

    @Option(help: ArgumentHelp("Connections served at once; more wait to be accepted.", valueName: "n"))
    var maxConnections = 512

    @Flag(help: "With a token, require it on reads too (reports, trend, export, baseline, dashboard, OpenAPI).")
    var protectReads = false

    @Flag(help: "With --protect-reads, also require the token on GET /health.")
    var protectHealth = false

    @Flag(help: "With --protect-reads, also require the token on GET /metrics.")
    var protectMetrics = false

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        guard (1...1024).contains(maxBodyMb) else { throw ValidationError("--max-body-mb must be between 1 and 1024.") }
        do {
            try serverConfiguration().validate()
        } catch let error as ServerConfigurationError {
            throw ValidationError(error.message)
        } catch let error as InputError {
            throw ValidationError("--\(error.field.replacingOccurrences(of: "_", with: "-")): \(error.message)")
        } catch let error as ConfigurationError {
            throw ValidationError("\(error)")
        }
    }

    /// The settings in force: options, then the environment, then defaults.
    func serverConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration(databasePath: database.path)
        configuration.host = host
        configuration.port = port
        let environmentToken = ProcessInfo.processInfo.environment["LEAK_HISTORY_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        configuration.token = token ?? environmentToken
        configuration.allowUnauthenticated = allowUnauthenticated
        configuration.defaultSource = source
        configuration.detection = try detection.config()
        configuration.metricsWindowMs = metricsWindow.milliseconds
        configuration.maxBodyBytes = maxBodyMb << 20
        configuration.maxComponentsPerSource = maxComponents
        configuration.metricsTopComponents = metricsTopComponents
        configuration.busyTimeoutMs = busyTimeout.milliseconds
        configuration.headerTimeoutMs = headerTimeout.milliseconds
        configuration.bodyTimeoutMs = bodyTimeout.milliseconds
        configuration.maxConnections = maxConnections
        configuration.protectReads = protectReads
        configuration.protectHealth = protectHealth
        configuration.protectMetrics = protectMetrics
        return configuration
    }

    func run() async throws {
        let configuration = try failing { try serverConfiguration() }
        FreedMemoryKept.forTheNextRequest()
        var logger = Logger(label: "leak-history.serve", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let database = try failing {
            try HistoryDatabase(path: configuration.databasePath, readerConnections: configuration.readerConnections,
                                maxComponentsPerSource: configuration.maxComponentsPerSource,
                                busyTimeoutMilliseconds: Int32(configuration.busyTimeoutMs), logger: logger)
        }
        let urlHost = configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host
        let listening = ListeningFlag()
        var app = try failing {
            try buildApplication(configuration, database: database, logger: logger, onServerRunning: { port in
                listening.set()
                // On stdout, unbuffered: scripts that start the server with --port 0 read the port from this line.
                let line = "leak-history serve: listening on http://\(urlHost):\(port)/ (database \(configuration.databasePath))\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        }
        app.addServices(database)
        do {
            try await app.runService()
        } catch {
            await database.close()
            // A busy port fails before the server listens: it did not stop, it never started.
            let what = listening.value ? "stopped" : "could not start"
            throw CleanExit.failure("error: the server on \(urlHost):\(configuration.port) \(what): \(PlainError.message(for: error, port: configuration.port))")
        }
    }
}

/// Whether the server got as far as listening (set from the server's task).
private final class ListeningFlag: Sendable {
    private let listening = Atomic<Bool>(false)
    func set() { listening.store(true, ordering: .relaxed) }
    var value: Bool { listening.load(ordering: .relaxed) }
}
