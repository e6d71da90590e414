import LeakHistoryAnalysis

/// How a `LeakRecorder` records: which source, how often it flushes, how much
/// it buffers.
public struct RecorderOptions: Sendable {
    /// The monitored program's name in the store.
    public var source: String = "default"
    /// Seconds between background flushes; 0 turns the background flush off
    /// (then only `flush()` and `close()` write).
    public var flushIntervalSecs: Double = 1.0
    /// Snapshots buffered while the disk is slow or failing; past it the oldest
    /// are dropped and counted in `droppedSnapshotCount`.
    public var maxPendingSnapshots: Int = 100_000
    /// Deprecated, without effect since chunked storage: hour rollups are
    /// written as each clock hour is sealed into chunks (in the same
    /// transaction, once an hour), and minute rollups when a prune drops raw
    /// samples, so there is no rollup pass left for an interval to pace.
    /// Kept only so code that sets it still compiles; it will be removed.
    @available(*, deprecated, message: "no effect since chunked storage: rollups are written as each hour is sealed; remove the assignment")
    public var rollupIntervalSecs: Double = 60
    /// Seconds between applications of the file's retention policy; 0 never prunes.
    public var pruneIntervalSecs: Double = 3600
    /// How long a write waits for another writer of the file before it fails
    /// (and the flush is retried later).
    public var busyTimeoutMilliseconds: Int32 = 5_000
    /// The process this run records, if known.
    public var pid: Int64? = nil
    public var command: String? = nil
    /// The version of the program this run records, and its labels (`host`,
    /// `commit` …): what `compare` tells runs and versions apart by.
    public var deployment: RunDeployment = .none

    public init(source: String = "default", flushIntervalSecs: Double = 1.0) {
        self.source = source
        self.flushIntervalSecs = flushIntervalSecs
    }
}
