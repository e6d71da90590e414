import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a connection waits for another connection's lock: a busy handler that
/// backs off (1, 2, 4 … 100 ms, with jitter so waiting writers do not wake in
/// step) and gives up after a bounded total wait, instead of SQLite's
/// `busy_timeout`.
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/busy_handler.html>
final class BusyWait {
    /// The total wait, in nanoseconds, after which a statement fails with `busy`.
    let limitNanos: UInt64
    private var startedNanos: UInt64 = 0
    private var random: UInt64
    /// How long the last wait lasted before it ended (either way), in ms.
    private(set) var lastWaitMs: UInt64 = 0

    init(limitMilliseconds: Int32) {
        limitNanos = UInt64(max(0, limitMilliseconds)) * 1_000_000
        random = Self.monotonicNanos() ^ UInt64(getpid()) &* 0x9E37_79B9_7F4A_7C15
    }

    /// Installs the handler on `handle`; `self` must outlive the connection.
    func install(on handle: OpaquePointer) -> Int32 {
        sqlite3_busy_handler(handle, busyCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite with the number of earlier calls for this lock: sleeps and returns true to retry.
    fileprivate func shouldRetry(attempt: Int32) -> Bool {
        let now = Self.monotonicNanos()
        if attempt == 0 { startedNanos = now }
        let waited = now &- startedNanos
        lastWaitMs = waited / 1_000_000
        guard waited < limitNanos else { return false }
        let baseMs = UInt64(min(100, 1 << min(Int(attempt), 7)))
        // SplitMix64 step: jitter of 50…150 % of the base delay.
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let delay = min(baseMs * 1_000_000 / 2 + z % (baseMs * 1_000_000), limitNanos - waited)
        usleep(useconds_t(max(1, delay / 1000)))
        return true
    }

    static func monotonicNanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

private let busyCallback: @convention(c) (UnsafeMutableRawPointer?, Int32) -> Int32 = { context, attempt in
    guard let context else { return 0 }
    return Unmanaged<BusyWait>.fromOpaque(context).takeUnretainedValue().shouldRetry(attempt: attempt) ? 1 : 0
}

/// Who holds a WAL database's write lock, from `/proc/locks` (Linux): SQLite
/// takes it as a POSIX lock on byte 120 of the `-shm` file. Reading
/// `/proc/locks` opens nothing of the database, so no lock of this process is
/// disturbed (closing any descriptor of a locked file would drop them all).
enum WriteLockHolder {
    static func describe(databasePath path: String) -> String? {
        var info = stat()
        guard stat(path + "-shm", &info) == 0,
              let table = procFile("/proc/locks") else { return nil }
        let inode = UInt64(info.st_ino)
        for line in table.split(separator: "\n") {
            // "1: POSIX  ADVISORY  WRITE 4242 fd:01:1234 120 120"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[1] == "POSIX", fields[3] == "WRITE",
                  let pid = Int32(fields[4]), fields[6] == "120",
                  let lockedInode = fields[5].split(separator: ":").last.flatMap({ UInt64($0) }),
                  lockedInode == inode else { continue }
            if pid == getpid() { return "another connection of this process (pid \(pid))" }
            let command = procFile("/proc/\(pid)/cmdline")?.split(separator: "\0").prefix(4).joined(separator: " ")
            return "pid \(pid)" + (command.map { $0.isEmpty ? "" : " (\($0))" } ?? "")
        }
        return nil
    }

    /// A /proc file's text: its size reads as 0, so it is read until EOF.
    private static func procFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < 16 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
