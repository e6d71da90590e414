import LeakHistoryAnalysis
import Foundation
import Logging
import SQLiteStore

/// A stored baseline: when it was set, the usage then, each component's held bytes then.
public struct StoredBaseline: Sendable, Equatable, Codable {
    public var id: Int64
    public var runID: Int64?
    public var tsMs: Int64
    public var usageBytes: Int64
    public var componentBytes: [String: Int64]

    enum CodingKeys: String, CodingKey {
        case id
        case runID = "run_id"
        case tsMs = "ts_ms"
        case usageBytes = "usage_bytes"
        case componentBytes = "component_bytes"
    }
}

/// One lifetime of a source.
public struct StoredRun: Sendable, Equatable, Codable {
    public var id: Int64
    public var startedMs: Int64
    /// `nil` while running, or when the process ended without closing its recorder.
    public var endedMs: Int64?
    public var pid: Int64?
    public var command: String?
    /// The version the run ran, and its labels (`host`, `commit` …).
    public var deployment: RunDeployment = .none

    public var version: String? { deployment.version }

    public init(id: Int64, startedMs: Int64, endedMs: Int64?, pid: Int64?, command: String?, deployment: RunDeployment = .none) {
        self.id = id
        self.startedMs = startedMs
        self.endedMs = endedMs
        self.pid = pid
        self.command = command
        self.deployment = deployment
    }

    enum CodingKeys: String, CodingKey {
        case id
        case startedMs = "started_ms"
        case endedMs = "ended_ms"
        case pid
        case command
        case version
        case labels
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(Int64.self, forKey: .id), startedMs: try c.decode(Int64.self, forKey: .startedMs),
                  endedMs: try c.decodeIfPresent(Int64.self, forKey: .endedMs), pid: try c.decodeIfPresent(Int64.self, forKey: .pid),
                  command: try c.decodeIfPresent(String.self, forKey: .command),
                  deployment: RunDeployment(unchecked: try c.decodeIfPresent(String.self, forKey: .version),
                                            labels: try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(startedMs, forKey: .startedMs)
        try c.encode(endedMs, forKey: .endedMs)
        try c.encode(pid, forKey: .pid)
        try c.encode(command, forKey: .command)
        try c.encode(deployment.version, forKey: .version)
        try c.encode(deployment.labels, forKey: .labels)
    }
}

/// One usage snapshot as stored.
public struct StoredSnapshot: Sendable, Equatable, Codable {
    public var tsMs: Int64
    public var runID: Int64
    public var usageBytes: Int64

    enum CodingKeys: String, CodingKey {
        case tsMs = "ts_ms"
        case runID = "run_id"
        case usageBytes = "usage_bytes"
    }
}

/// One component sample as stored: cumulative within its run.
public struct StoredComponentSample: Sendable, Equatable, Codable {
    public var tsMs: Int64
    public var runID: Int64
    public var allocatedBytes: Int64
    public var allocations: Int64?
    public var deallocations: Int64?

    enum CodingKeys: String, CodingKey {
        case tsMs = "ts_ms"
        case runID = "run_id"
        case allocatedBytes = "allocated_bytes"
        case allocations
        case deallocations
    }
}

/// A component of a source as stored.
public struct StoredComponent: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var kind: ComponentKind
    /// True when the component overlaps others (a process's PSS, a cgroup's
    /// shmem): reports leave it out of candidates and growth shares.
    public var overlaps: Bool
}

/// The LeakHistory schema on one connection: every query of `queries/` behind
/// a typed method. Not thread-safe; its owner confines it.
final class HistoryStore {
    /// 'LKHY': marks a file as LeakHistory's (`PRAGMA application_id`).
    static let applicationID: Int32 = 0x4C4B_4859

    /// The connection. Only HistoryStore's own files (Store/) touch it: every
    /// other part of the library goes through a typed method, and
    /// `PackageMapTests` fails on a `store.db` anywhere else.
    let db: Database

    /// The file's path.
    var path: String { db.path }
    /// True when the file was opened read-only.
    var isReadOnly: Bool { db.isReadOnly }

    /// Runs `body` in one transaction: all of its writes or none.
    @discardableResult
    func inTransaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try db.inTransaction(kind, body)
    }

    /// Row counts of the whole file.
    func databaseCounts() throws -> DatabaseCounts {
        try db.cachedStatement(sql: Queries.databaseCounts).fetchOne {
            DatabaseCounts(sources: $0.int(0), runs: $0.int(1), components: $0.int(2), snapshots: $0.int(3),
                           componentSamples: $0.int(4), rollupRows: $0.int(5))
        } ?? DatabaseCounts(sources: 0, runs: 0, components: 0, snapshots: 0, componentSamples: 0, rollupRows: 0)
    }
    private var componentIDs: [String: Int64] = [:]
    // The two insert statements of the write path, held directly: the cache
    // is keyed by SQL text, and hashing it for every row costs more than the bind.
    private var snapshotInsert: Statement?
    private var componentSampleInsert: Statement?

    /// Opens (creating when `create`) and migrates the database at `path`.
    init(path: String, create: Bool = true, busyTimeoutMilliseconds: Int32 = 5_000, logger: Logger) throws {
        if !create && path != ":memory:" && !FileManager.default.fileExists(atPath: path) {
            throw InputError(field: "db", message: "no database at '\(path)'" + Self.databasesBeside(path))
        }
        var configuration = Database.Configuration()
        configuration.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        db = try Database(path: path, configuration: configuration, logger: logger)
        do {
            let applied = try DatabaseMigrator(migrations: EmbeddedMigrations.all, applicationID: Self.applicationID).migrate(db)
            if !applied.isEmpty {
                logger.info("migrated database", metadata: ["db.path": "\(path)", "db.versions": "\(applied)"])
            }
            try sealRowsOfOlderVersions()
            try summariseChunksOfOlderVersions()
        } catch let error as MigrationError {
            try? db.close()
            throw Self.explained(error)
        } catch {
            try? db.close()
            throw error
        }
    }

    /// A refusal of the migrator in LeakHistory's words: the generic layer
    /// knows no application's name.
    static func explained(_ error: MigrationError) -> any Error {
        switch error {
        case let .newerSchema(found, supported, path):
            InputError(field: "db", message: "database '\(path)' has schema version \(found), newer than this leak-history supports (\(supported)); upgrade leak-history or use another file")
        case let .foreignDatabase(path, id):
            InputError(field: "db", message: "database '\(path)' is not a LeakHistory database (application_id 0x"
                + String(format: "%08x", UInt32(bitPattern: id)) + (id == 0 ? ", and it already has a schema)" : ")"))
        case .failed:
            error
        }
    }

    /// ` (databases beside it: a.sqlite, b.sqlite)`, or `` when there are none.
    static func databasesBeside(_ path: String) -> String {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".sqlite") || $0.hasSuffix(".db") }.sorted()
        guard !names.isEmpty else { return " (and no .sqlite file beside it)" }
        return " (databases beside it: \(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", …" : ""))"
    }

    func close() throws {
        snapshotInsert = nil
        componentSampleInsert = nil
        try db.close()
    }

    var schemaVersion: Int {
        get throws { try db.userVersion() }
    }

    // MARK: Sources, runs, components

    /// The id of `name`, creating the source when asked.
    func sourceID(named name: String, create: Bool, nowMs: Int64) throws -> Int64? {
        if create {
            try db.cachedStatement(sql: Queries.sourceInsert).execute([name, nowMs])
        }
        return try db.cachedStatement(sql: Queries.sourceFind).fetchOne([name]) { $0.int64(0) }
    }

    func sources() throws -> [(id: Int64, name: String, createdMs: Int64)] {
        try db.cachedStatement(sql: Queries.sourceList).fetchAll { ($0.int64(0), $0.string(1), $0.int64(2)) }
    }

    func startRun(sourceID: Int64, startedMs: Int64, pid: Int64?, command: String?, deployment: RunDeployment = .none) throws -> Int64 {
        try db.cachedStatement(sql: Queries.runInsert).execute([sourceID, startedMs, pid, command, deployment.version])
        let runID = db.lastInsertedRowID
        let statement = try db.cachedStatement(sql: Queries.runLabelInsert)
        for (key, value) in deployment.labels.sorted(by: { $0.key < $1.key }) {
            try statement.execute([runID, key, value])
        }
        return runID
    }

    func endRun(_ runID: Int64, endedMs: Int64) throws {
        try db.cachedStatement(sql: Queries.runEnd).execute([runID, endedMs])
    }

    func runs(sourceID: Int64) throws -> [StoredRun] {
        var labels: [Int64: [String: String]] = [:]
        try db.cachedStatement(sql: Queries.runLabelList).forEachRow([sourceID]) {
            labels[$0.int64(0), default: [:]][$0.string(1)] = $0.string(2)
        }
        return try db.cachedStatement(sql: Queries.runList).fetchAll([sourceID]) {
            StoredRun(id: $0.int64(0), startedMs: $0.int64(1), endedMs: $0.optionalInt64(2),
                      pid: $0.optionalInt64(3), command: $0.optionalString(4),
                      deployment: RunDeployment(unchecked: $0.optionalString(5), labels: labels[$0.int64(0)] ?? [:]))
        }
    }

    /// The version and labels of one run.
    func deployment(runID: Int64, version: String?) throws -> RunDeployment {
        var labels: [String: String] = [:]
        try db.cachedStatement(sql: Queries.runLabelOfRun).forEachRow([runID]) { labels[$0.string(0)] = $0.string(1) }
        return RunDeployment(unchecked: version, labels: labels)
    }

    /// The id of component `name` of the source, created with `kind` and
    /// `overlaps` when new.
    func componentID(sourceID: Int64, name: String, kind: ComponentKind, overlaps: Bool = false) throws -> Int64 {
        let key = "\(sourceID)\u{0}\(name)"
        if let id = componentIDs[key] { return id }
        try db.cachedStatement(sql: Queries.componentInsert).execute([sourceID, name, kind.rawValue, overlaps ? 1 : 0])
        guard let id = try db.cachedStatement(sql: Queries.componentFind).fetchOne([sourceID, name], { $0.int64(0) }) else {
            throw DatabaseError(resultCode: .error, message: "component '\(name)' vanished after insert", path: db.path)
        }
        componentIDs[key] = id
        return id
    }

    func components(sourceID: Int64) throws -> [StoredComponent] {
        try db.cachedStatement(sql: Queries.componentList).fetchAll([sourceID]) {
            StoredComponent(id: $0.int64(0), name: $0.string(1), kind: ComponentKind(rawValue: $0.int(2)) ?? .counted,
                            overlaps: $0.int(3) != 0)
        }
    }

    func latestComponentBytes(sourceID: Int64, fromMs: Int64, toMs: Int64) throws -> [(name: String, kind: ComponentKind, bytes: Int64)] {
        let rows = try db.cachedStatement(sql: Queries.componentLatestInWindow).fetchAll([sourceID, fromMs, toMs]) { row in
            (id: row.int64(0), name: row.string(1), kind: ComponentKind(rawValue: row.int(2)) ?? .counted, bytes: row.optionalInt64(3))
        }
        return try rows.compactMap { entry in
            // Not in the head: the newest sealed sample at or before the window's end, if it is in the window.
            let bytes = try entry.bytes ?? latestRawSample(.component(entry.id), atOrBeforeMs: toMs).flatMap { $0.tsMs >= fromMs ? $0.bytes : nil }
            return bytes.map { (name: entry.name, kind: entry.kind, bytes: $0) }
        }
    }

    /// How many components `sourceID` has in the file.
    func componentCount(sourceID: Int64) throws -> Int {
        try db.cachedStatement(sql: Queries.componentCount).fetchOne([sourceID]) { $0.int(0) } ?? 0
    }

    /// Forgets cached component ids, after a rolled-back transaction may have un-created some.
    func forgetCachedIDs() {
        componentIDs.removeAll()
    }

    // MARK: Samples

    func insertSnapshot(sourceID: Int64, tsMs: Int64, runID: Int64, usageBytes: Int64) throws {
        if snapshotInsert == nil { snapshotInsert = try db.cachedStatement(sql: Queries.snapshotInsert) }
        let statement = snapshotInsert!
        try statement.bind(sourceID, at: 1)
        try statement.bind(tsMs, at: 2)
        try statement.bind(runID, at: 3)
        try statement.bind(usageBytes, at: 4)
        _ = try statement.step()
        try statement.reset()
    }

    func insertComponentSample(componentID: Int64, tsMs: Int64, runID: Int64, allocatedBytes: Int64,
                               allocations: Int64?, deallocations: Int64?, events: Int64? = nil) throws {
        if componentSampleInsert == nil { componentSampleInsert = try db.cachedStatement(sql: Queries.componentSampleInsert) }
        let statement = componentSampleInsert!
        try statement.bind(componentID, at: 1)
        try statement.bind(tsMs, at: 2)
        try statement.bind(runID, at: 3)
        try statement.bind(allocatedBytes, at: 4)
        if let allocations { try statement.bind(allocations, at: 5) } else { try statement.bindNull(at: 5) }
        if let deallocations { try statement.bind(deallocations, at: 6) } else { try statement.bindNull(at: 6) }
        if let events { try statement.bind(events, at: 7) } else { try statement.bindNull(at: 7) }
        _ = try statement.step()
        try statement.reset()
    }

    func snapshots(sourceID: Int64, fromMs: Int64, toMs: Int64) throws -> [StoredSnapshot] {
        try rawSamples(.usage(sourceID: sourceID), fromMs: fromMs, toMs: toMs).map {
            StoredSnapshot(tsMs: $0.tsMs, runID: $0.runID, usageBytes: $0.bytes)
        }
    }

    func componentSamples(componentID: Int64, fromMs: Int64, toMs: Int64) throws -> [StoredComponentSample] {
        try rawSamples(.component(componentID), fromMs: fromMs, toMs: toMs).map(StoredComponentSample.init)
    }

    // MARK: Baselines

    func insertBaseline(sourceID: Int64, runID: Int64?, tsMs: Int64, usageBytes: Int64,
                        componentBytes: [(componentID: Int64, bytes: Int64)]) throws -> Int64 {
        try db.cachedStatement(sql: Queries.baselineInsert).execute([sourceID, runID, tsMs, usageBytes])
        let id = db.lastInsertedRowID
        let statement = try db.cachedStatement(sql: Queries.baselineComponentInsert)
        for entry in componentBytes {
            try statement.execute([id, entry.componentID, entry.bytes])
        }
        return id
    }

    func currentBaseline(sourceID: Int64) throws -> StoredBaseline? {
        guard var baseline = try db.cachedStatement(sql: Queries.baselineCurrent).fetchOne([sourceID], {
            StoredBaseline(id: $0.int64(0), runID: $0.optionalInt64(1), tsMs: $0.int64(2), usageBytes: $0.int64(3), componentBytes: [:])
        }) else { return nil }
        try db.cachedStatement(sql: Queries.baselineComponents).forEachRow([baseline.id]) {
            baseline.componentBytes[$0.string(0)] = $0.int64(1)
        }
        return baseline
    }

    func clearBaseline(sourceID: Int64, clearedMs: Int64) throws {
        try db.cachedStatement(sql: Queries.baselineClear).execute([sourceID, clearedMs])
    }
}

extension HistoryStore {
    /// The newest run of a source.
    func latestRun(sourceID: Int64) throws -> StoredRun? {
        try db.cachedStatement(sql: Queries.runLatest).fetchOne([sourceID]) {
            StoredRun(id: $0.int64(0), startedMs: $0.int64(1), endedMs: $0.optionalInt64(2),
                      pid: $0.optionalInt64(3), command: $0.optionalString(4),
                      deployment: RunDeployment(unchecked: $0.optionalString(5), labels: [:]))
        }
    }

    /// A component of a source by name.
    func component(sourceID: Int64, name: String) throws -> StoredComponent? {
        try db.cachedStatement(sql: Queries.componentFind).fetchOne([sourceID, name]) {
            StoredComponent(id: $0.int64(0), name: name, kind: ComponentKind(rawValue: $0.int(1)) ?? .counted,
                            overlaps: $0.int(2) != 0)
        }
    }
}

extension StoredComponentSample {
    init(_ raw: RawSample) {
        self.init(tsMs: raw.tsMs, runID: raw.runID, allocatedBytes: raw.bytes, allocations: raw.allocations,
                  deallocations: raw.deallocations)
    }
}
