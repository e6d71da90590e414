import LeakHistoryAnalysis
import Foundation
import Logging
import SQLiteStore

/// Reads the stored history of a LeakHistory database.
///
/// ```swift
/// let reader = try HistoryReader(path: "leaks.sqlite")
/// defer { try? reader.close() }
/// for run in try reader.runs(source: "default") { print(run.startedMs) }
/// ```
///
/// Each reader has its own connection; in WAL mode it never blocks a writer
/// and sees only committed transactions. Not thread-safe: one reader per thread.
public final class HistoryReader {
    let store: HistoryStore
    public let path: String

    /// Opens an existing database (migrating it if it is older). Throws if there
    /// is no file at `path`, it is not a LeakHistory database, or it is newer.
    public init(path: String, logger: Logger = Logger(label: "LeakHistory", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        self.path = path
        store = try HistoryStore(path: path, create: false, logger: logger)
    }

    public func close() throws {
        try store.close()
    }

    /// The schema version of the file (`PRAGMA user_version`).
    public var schemaVersion: Int {
        get throws { try store.schemaVersion }
    }

    /// Every source's name, sorted.
    public func sources() throws -> [String] {
        try store.sources().map(\.name)
    }

    /// The runs of `source`, oldest first (empty for an unknown source).
    public func runs(source: String) throws -> [StoredRun] {
        guard let id = try sourceID(source) else { return [] }
        return try store.runs(sourceID: id)
    }

    /// The components of `source`, by name.
    public func components(source: String) throws -> [StoredComponent] {
        guard let id = try sourceID(source) else { return [] }
        return try store.components(sourceID: id)
    }

    /// Usage snapshots of `source` in `[fromMs, toMs]`, oldest first.
    public func snapshots(source: String, fromMs: Int64 = .min, toMs: Int64 = .max) throws -> [StoredSnapshot] {
        guard let id = try sourceID(source) else { return [] }
        return try store.snapshots(sourceID: id, fromMs: fromMs, toMs: toMs)
    }

    /// Samples of one component of `source` in `[fromMs, toMs]`, oldest first.
    public func componentSamples(source: String, component: String, fromMs: Int64 = .min, toMs: Int64 = .max) throws -> [StoredComponentSample] {
        guard let id = try sourceID(source),
              let componentID = try store.component(sourceID: id, name: component)?.id
        else { return [] }
        return try store.componentSamples(componentID: componentID, fromMs: fromMs, toMs: toMs)
    }

    /// Each component of `source` that has a sample in `[fromMs, toMs]`, with
    /// the bytes of its newest one there: one query, whatever the count.
    public func latestComponentBytes(source: String, fromMs: Int64, toMs: Int64) throws -> [(name: String, kind: ComponentKind, bytes: Int64)] {
        guard let id = try sourceID(source) else { return [] }
        return try store.latestComponentBytes(sourceID: id, fromMs: fromMs, toMs: toMs)
    }

    /// The baseline in force for `source`, if any.
    public func baseline(source: String) throws -> StoredBaseline? {
        guard let id = try sourceID(source) else { return nil }
        return try store.currentBaseline(sourceID: id)
    }

    /// Row counts of the whole file, for status pages and metrics.
    public func counts() throws -> DatabaseCounts {
        try store.databaseCounts()
    }

    private func sourceID(_ name: String) throws -> Int64? {
        try store.sourceID(named: name, create: false, nowMs: 0)
    }
}

/// How many rows of each kind a database file holds.
public struct DatabaseCounts: Sendable, Equatable, Codable {
    public var sources: Int
    public var runs: Int
    public var components: Int
    public var snapshots: Int
    public var componentSamples: Int
    public var rollupRows: Int

    enum CodingKeys: String, CodingKey {
        case sources, runs, components, snapshots
        case componentSamples = "component_samples"
        case rollupRows = "rollup_rows"
    }
}
