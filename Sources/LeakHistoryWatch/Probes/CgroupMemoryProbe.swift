#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// Samples a cgroup v2 directory: `memory.current` and the parts of `memory.stat`.
///
/// ```swift
/// let probe = try CgroupMemoryProbe(path: "/sys/fs/cgroup/system.slice/app.service")
/// ```
///
/// Parts: `anon`, `file`, `kernel`, `sock` (together they make up
/// `memory.current`) and `shmem` (inside `file`, so it is not judged on its own).
final class CgroupMemoryProbe: MemoryProbe {
    let path: String
    private var directory: Int32

    var label: String { "cgroup \(path)" }
    var goneDescription: String { "the cgroup was removed" }

    init(path: String) throws(WatchError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw .notACgroup(path: path, detail: "it does not exist")
            case ENOTDIR: throw .notACgroup(path: path, detail: "it is not a directory")
            default: throw .unreadable(path: path, errno: code)
            }
        }
        do throws(WatchError) {
            let current = try ProcFile.read("memory.current", in: fd, displayPath: "\(path)/memory.current")
            guard CgroupMemoryStat.parseCurrent(current) != nil else {
                throw WatchError.malformed(path: "\(path)/memory.current", detail: "not a number of bytes")
            }
        } catch {
            Glibc.close(fd)
            if case .unreadable(_, let code) = error, code == ENOENT {
                throw .notACgroup(path: path, detail: "it has no memory.current (a cgroup v1 hierarchy, the root cgroup, "
                    + "or the memory controller is not enabled in the parent's cgroup.subtree_control)")
            }
            throw error
        }
        self.path = path
        directory = fd
    }

    deinit {
        close()
    }

    func close() {
        if directory >= 0 { Glibc.close(directory) }
        directory = -1
    }

    func read() throws(WatchError) -> ProbeResult {
        guard directory >= 0 else { return .gone }
        let current: Int64
        let stat: CgroupMemoryStat
        do throws(WatchError) {
            let text = try ProcFile.read("memory.current", in: directory, displayPath: "\(path)/memory.current")
            guard let value = CgroupMemoryStat.parseCurrent(text) else {
                throw WatchError.malformed(path: "\(path)/memory.current", detail: "not a number of bytes")
            }
            current = value
            stat = CgroupMemoryStat.parse(try ProcFile.read("memory.stat", in: directory, displayPath: "\(path)/memory.stat"))
        } catch {
            // A removed cgroup's files fail with ENODEV through a descriptor opened before.
            if case .unreadable(_, let code) = error, code == ENOENT || code == ENODEV { return .gone }
            throw error
        }
        var parts: [MemoryPart] = []
        if let anon = stat.anonBytes { parts.append(MemoryPart(component: "anon", bytes: anon, isDisjoint: true)) }
        if let file = stat.fileBytes { parts.append(MemoryPart(component: "file", bytes: file, isDisjoint: true)) }
        if let kernel = stat.kernelBytes { parts.append(MemoryPart(component: "kernel", bytes: kernel, isDisjoint: true)) }
        if let sock = stat.sockBytes { parts.append(MemoryPart(component: "sock", bytes: sock, isDisjoint: true)) }
        if let shmem = stat.shmemBytes { parts.append(MemoryPart(component: "shmem", bytes: shmem, isDisjoint: false)) }
        return .reading(MemoryReading(totalBytes: current, parts: parts))
    }
}
