import LeakHistoryAnalysis

/// How long each resolution of the history is kept. Stored in the database
/// file, so every writer of one file applies the same policy.
///
/// ```swift
/// var policy = RetentionPolicy()
/// policy.rawMs = 2 * RetentionPolicy.day     // raw samples for two days
/// try writer.prune(policy: policy)
/// ```
public struct RetentionPolicy: Sendable, Equatable, Codable {
    public static let minute: Int64 = 60_000
    public static let hour: Int64 = 3_600_000
    public static let day: Int64 = 86_400_000

    /// Raw snapshots and component samples. Default 7 days.
    public var rawMs: Int64 = 7 * day
    /// Minute rollups. Default 90 days.
    public var minuteMs: Int64 = 90 * day
    /// Hour rollups. Default 5 years.
    public var hourMs: Int64 = 5 * 365 * day

    public init() {}

    /// Throws unless raw ≤ minute ≤ hour and each is at least an hour.
    public func validate() throws {
        guard rawMs >= Self.hour, minuteMs >= Self.hour, hourMs >= Self.hour else {
            throw InputError(field: "retention", message: "every retention must be at least 1 hour")
        }
        guard rawMs <= minuteMs, minuteMs <= hourMs else {
            throw InputError(field: "retention", message: "retention must satisfy raw ≤ minute rollups ≤ hour rollups")
        }
    }

    enum CodingKeys: String, CodingKey {
        case rawMs = "raw_ms"
        case minuteMs = "minute_ms"
        case hourMs = "hour_ms"
    }
}

/// What a prune removed.
public struct PruneResult: Sendable, Equatable, Codable {
    public var snapshotsDeleted: Int = 0
    public var componentSamplesDeleted: Int = 0
    public var rollupsDeleted: Int = 0

    enum CodingKeys: String, CodingKey {
        case snapshotsDeleted = "snapshots_deleted"
        case componentSamplesDeleted = "component_samples_deleted"
        case rollupsDeleted = "rollups_deleted"
    }
}
