#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// Reads the small text files of `/proc` and `/sys/fs/cgroup`.
///
/// ```swift
/// let text = try ProcFile.read("/proc/self/status")
/// ```
///
/// These files report a size of 0 and are generated as they are read, so they
/// are read to end of file with plain `read(2)` calls; the error keeps the
/// `errno`, which tells a process that is gone (`ENOENT`, `ESRCH`) from one
/// that may not be read (`EACCES`).
enum ProcFile {
    /// Everything in the file at `path`, or in `name` under the open directory `directory`.
    static func read(_ path: String, in directory: Int32 = AT_FDCWD, displayPath: String? = nil) throws(WatchError) -> String {
        String(decoding: try bytes(path, in: directory, displayPath: displayPath), as: UTF8.self)
    }

    /// The bytes of the file at `path` (see `read`).
    static func bytes(_ path: String, in directory: Int32 = AT_FDCWD, displayPath: String? = nil) throws(WatchError) -> [UInt8] {
        let fd = openat(directory, path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: displayPath ?? path, errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                bytes.append(contentsOf: chunk[0..<n])
                // A runaway file is not one of ours; the largest we read is a few kB.
                if bytes.count > 1 << 20 { throw .malformed(path: displayPath ?? path, detail: "more than 1 MiB of text") }
            } else if n == 0 {
                break
            } else if errno != EINTR {
                throw .unreadable(path: displayPath ?? path, errno: errno)
            }
        }
        return bytes
    }

    /// Whether `errno` says the process behind a `/proc/PID` path is gone.
    static func meansGone(_ errno: Int32) -> Bool {
        errno == ENOENT || errno == ESRCH
    }
}
