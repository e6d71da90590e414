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

/// A `/proc` file kept open and read again from its start at each `read`:
/// one `pread(2)` a sample instead of a path lookup, an open, reads and a
/// close. The kernel generates a seq file's content afresh whenever it is read
/// from offset 0. A descriptor of `/proc/PID/…` is bound to that process: once
/// it has exited every read fails with `ESRCH`, even when its pid was given to
/// a new process.
///
/// ```swift
/// let status = try ProcFileHandle("status", in: procPIDDirectory, displayPath: "/proc/42/status")
/// let text = try status.read { String(decoding: $0, as: UTF8.self) }
/// ```
final class ProcFileHandle {
    let displayPath: String
    private var fd: Int32
    private var buffer: [UInt8]

    /// Opens `path` (relative to `directory` when it is open). Throws `.unreadable` with the `errno`.
    init(_ path: String, in directory: Int32 = AT_FDCWD, displayPath: String? = nil, capacity: Int = 4096) throws(WatchError) {
        self.displayPath = displayPath ?? path
        fd = openat(directory, path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: displayPath ?? path, errno: errno) }
        buffer = [UInt8](repeating: 0, count: max(64, capacity))
    }

    deinit {
        close()
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Calls `body` with the whole file as it is now. A read that leaves more
    /// than 64 bytes of room ends it without another call: a seq file hands
    /// over as many whole records as fit (`status`, `stat`, `loadavg` are one
    /// record; a `children` record is one pid), so room for another record
    /// means there was none. Throws `.unreadable` with the `errno` (`ESRCH`
    /// once the process is gone).
    func read<T>(_ body: (UnsafeBufferPointer<UInt8>) -> T) throws(WatchError) -> T {
        guard fd >= 0 else { throw .unreadable(path: displayPath, errno: EBADF) }
        var count = 0
        while true {
            if count == buffer.count {
                // A runaway file is not one of ours; the largest we read is a few kB.
                guard buffer.count < 1 << 20 else { throw .malformed(path: displayPath, detail: "more than 1 MiB of text") }
                buffer += [UInt8](repeating: 0, count: buffer.count)
            }
            let room = buffer.count - count
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + count, room, off_t(count)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: displayPath, errno: errno)
            }
            count += n
            if n == 0 || room - n > 64 { break }
        }
        return buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }
}
