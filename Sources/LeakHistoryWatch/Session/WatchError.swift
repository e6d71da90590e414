#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// Why a process, a cgroup or a command cannot be watched, in words an operator can act on.
///
/// ```swift
/// do {
///     _ = try ProcessMemoryProbe(pid: 99_999)
/// } catch {
///     print(error)   // no process with pid 99999 (/proc/99999 does not exist)
/// }
/// ```
public enum WatchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `/proc/PID` does not exist, or the process has already been reaped.
    case noSuchProcess(pid: Int32)
    /// The process exists but has exited and waits to be reaped by its parent.
    case processExited(pid: Int32)
    /// A kernel thread: it has no user memory (no `VmRSS` line).
    case kernelThread(pid: Int32, name: String)
    /// A file the watch needs could not be read; `errno` says why.
    case unreadable(path: String, errno: Int32)
    /// A file was read but its content is not what the kernel writes there.
    case malformed(path: String, detail: String)
    /// The directory is not a cgroup v2 directory with the memory controller.
    case notACgroup(path: String, detail: String)
    /// The command could not be started; `errno` is `posix_spawnp`'s.
    case spawnFailed(command: String, errno: Int32)
    /// A named system call failed.
    case systemCall(name: String, errno: Int32)

    public var description: String {
        switch self {
        case .noSuchProcess(let pid):
            return "no process with pid \(pid) (/proc/\(pid) does not exist)"
        case .processExited(let pid):
            return "process \(pid) has already exited (a zombie waiting for its parent to reap it)"
        case .kernelThread(let pid, let name):
            return "pid \(pid) (\(name)) is a kernel thread: it has no user memory to watch"
        case .unreadable(let path, let errno):
            var text = "cannot read \(path): \(Self.message(errno))"
            if errno == EACCES || errno == EPERM {
                text += " (the process may belong to another user, or /proc is mounted with hidepid)"
            }
            return text
        case .malformed(let path, let detail):
            return "unexpected content in \(path): \(detail)"
        case .notACgroup(let path, let detail):
            return "\(path) is not a cgroup v2 directory with the memory controller: \(detail)"
        case .spawnFailed(let command, let errno):
            return "cannot run '\(command)': \(Self.message(errno))"
        case .systemCall(let name, let errno):
            return "\(name) failed: \(Self.message(errno))"
        }
    }

    /// The shell's exit status for a command that could not be started:
    /// 127 when it was not found, 126 when it could not be executed.
    public var shellExitStatus: Int32? {
        guard case .spawnFailed(_, let errno) = self else { return nil }
        return errno == ENOENT || errno == ENOTDIR ? 127 : 126
    }

    static func message(_ errno: Int32) -> String {
        String(cString: strerror(errno))
    }
}
