import LeakHistory

/// One sample of a watched process or cgroup: its total memory and its parts, in bytes.
///
/// ```swift
/// let reading = try probe.read()
/// print(reading.totalBytes, reading.parts.map(\.component))
/// ```
public struct MemoryReading: Sendable, Equatable {
    /// RSS for a process, `memory.current` for a cgroup: the snapshot.
    public var totalBytes: Int64
    /// The gauge components, in a fixed order.
    public var parts: [MemoryPart]

    public init(totalBytes: Int64, parts: [MemoryPart]) {
        self.totalBytes = totalBytes
        self.parts = parts
    }
}

/// One gauge component of a reading.
public struct MemoryPart: Sendable, Equatable {
    /// The component name: `rss_anon`, `rss_file`, `rss_shmem`, `swap`, `pss`,
    /// a program of a process tree (`proc:python3 leaky.py`),
    /// or a cgroup's `anon`, `file`, `kernel`, `sock`, `shmem`.
    public var component: String
    public var bytes: Int64
    /// True when the part is a disjoint share of the process's memory, so the
    /// growth of such parts adds up. PSS overlaps RSS and a cgroup's shmem is
    /// inside its file pages: they are recorded but not judged, so the growth
    /// shares of a report stay true.
    public var isDisjoint: Bool

    public init(component: String, bytes: Int64, isDisjoint: Bool) {
        self.component = component
        self.bytes = bytes
        self.isDisjoint = isDisjoint
    }
}


/// What a probe found: a reading, or that its process or cgroup is gone.
enum ProbeResult: Sendable, Equatable {
    case reading(MemoryReading)
    case gone
}

/// Reads the memory of one process or cgroup.
protocol MemoryProbe: AnyObject {
    /// What the probe watches, for messages: `pid 1234`, `cgroup /sys/fs/cgroup/app`.
    var label: String { get }
    /// Why sampling ended once `read` said `.gone`: "the process exited".
    var goneDescription: String { get }
    func read() throws(WatchError) -> ProbeResult
    /// Lets go of what the probe holds open; reads then say `.gone`.
    func close()
}
