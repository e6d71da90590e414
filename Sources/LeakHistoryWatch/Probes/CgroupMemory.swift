import LeakHistory

/// The memory figures of a cgroup v2 directory: `memory.current` and `memory.stat`, in bytes.
///
/// ```swift
/// let stat = CgroupMemoryStat.parse(try String(contentsOfFile: "/sys/fs/cgroup/app.slice/memory.stat"))
/// print(stat.anonBytes ?? 0, stat.fileBytes ?? 0)
/// ```
///
/// `memory.current` counts anon, file (page cache, which includes shmem),
/// kernel memory and socket buffers; those four are its parts.
public struct CgroupMemoryStat: Sendable, Equatable {
    /// Every `key value` line, in file order. Some values are event counts, not bytes.
    public var values: [String: Int64]

    public init(values: [String: Int64] = [:]) {
        self.values = values
    }

    /// The lines of `text` that are a key and an integer; others are skipped.
    public static func parse(_ text: String) -> CgroupMemoryStat {
        var values: [String: Int64] = [:]
        for (key, value) in KeyValueText.spaceSeparatedIntegers(text) where values[key] == nil {
            values[key] = value
        }
        return CgroupMemoryStat(values: values)
    }

    public var anonBytes: Int64? { values["anon"] }
    public var fileBytes: Int64? { values["file"] }
    /// Kernel memory. Kernels before 5.18 have no `kernel` line: it is then the
    /// sum of the parts they list (stacks, page tables, per-cpu, slab).
    public var kernelBytes: Int64? {
        if let kernel = values["kernel"] { return kernel }
        let parts = ["kernel_stack", "pagetables", "percpu", "slab"].compactMap { values[$0] }
        return parts.isEmpty ? nil : parts.reduce(0, +)
    }
    public var sockBytes: Int64? { values["sock"] }
    /// Shared memory; it is part of `file`.
    public var shmemBytes: Int64? { values["shmem"] }

    /// The value of `memory.current`: one integer of bytes.
    public static func parseCurrent(_ text: String) -> Int64? {
        let trimmed = text.split(whereSeparator: \.isWhitespace)
        guard trimmed.count == 1, let value = Int64(trimmed[0]), value >= 0 else { return nil }
        return value
    }

    /// The cgroup v2 path (relative to the cgroup2 mount) in the content of
    /// `/proc/PID/cgroup`: its `0::/path` line. `nil` on a cgroup v1-only system.
    public static func unifiedPath(inProcCgroup text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            // hierarchy-ID:controllers:path — the path may itself hold colons.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0] == "0", fields[1].isEmpty, fields[2].hasPrefix("/") else { continue }
            return String(fields[2])
        }
        return nil
    }
}
