#if canImport(Glibc)
import LeakHistory
import Glibc
#endif

/// Wakes a waiting watch loop early: from any thread with `wake()`, or from a
/// signal handler by writing a byte to `signalSafeFileDescriptor`.
///
/// ```swift
/// let wakeup = try WatchWakeup()
/// let child = try ChildProcess.spawn(["my-server"], onExit: { wakeup.wake() })
/// wakeup.wait(untilUptimeNanoseconds: DispatchTime.now().uptimeNanoseconds + 1_000_000_000)
/// ```
///
/// It is a self-pipe: `write(2)` is async-signal-safe where a lock or a
/// semaphore is not, and `poll(2)` waits for it with a timeout.
///
/// Given a `hangupDescriptor` (standard output), a wait also ends when that
/// descriptor's reader has gone (a pipe closed by `head`): `hasHungUp` then says so.
public final class WatchWakeup: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32
    private let hangupDescriptor: Int32

    public init(hangupDescriptor: Int32 = -1) throws(WatchError) {
        self.hangupDescriptor = hangupDescriptor
        var fds: [Int32] = [-1, -1]
        // pipe2 is not visible to Swift on glibc; the flags are set right after.
        guard pipe(&fds) == 0 else { throw .systemCall(name: "pipe", errno: errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// The write end; a signal handler writes one byte to it to wake the loop.
    /// Valid as long as this object lives.
    public var signalSafeFileDescriptor: Int32 { writeEnd }

    /// Wakes the current or the next `wait`.
    public func wake() {
        var byte: UInt8 = 1
        // A full pipe already holds a wake-up; nothing is lost by EAGAIN.
        _ = write(writeEnd, &byte, 1)
    }

    /// Waits until woken or until the monotonic clock reaches `deadline`
    /// (`DispatchTime.uptimeNanoseconds`). Returns true when woken.
    @discardableResult
    public func wait(untilUptimeNanoseconds deadline: UInt64) -> Bool {
        let now = Self.uptimeNanoseconds()
        let timeoutMs = deadline > now ? Int32(clamping: (deadline - now + 999_999) / 1_000_000) : 0
        var descriptors = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: hangupDescriptor, events: 0, revents: 0)]
        let ready = poll(&descriptors, hangupDescriptor >= 0 ? 2 : 1, timeoutMs)
        guard ready > 0 else { return false }  // timeout, or EINTR: the caller re-checks either way
        if descriptors[0].revents == 0 { return true }  // the hang-up: nothing to drain
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(readEnd, $0.baseAddress, $0.count) }) > 0 {}
        return true
    }

    /// Whether the reader of `hangupDescriptor` has gone (a pipe or socket
    /// closed at the other end); false for a terminal or a file.
    public var hasHungUp: Bool {
        guard hangupDescriptor >= 0 else { return false }
        var descriptor = pollfd(fd: hangupDescriptor, events: 0, revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLERR | POLLHUP) != 0
    }

    /// The monotonic clock `wait` uses, in ns (the same as `DispatchTime.uptimeNanoseconds`).
    public static func uptimeNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CPU time the calling thread has used, in seconds: what a computation
    /// cost, whatever else the machine was running meanwhile.
    public static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
