import LeakHistory
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// The status a shell reports: the exit code, or 128 + the signal number.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signalled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        }
    }

    init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }
}

/// A command started with `posix_spawnp` and reaped by a thread of its own,
/// so it never lingers as a zombie.
///
/// ```swift
/// let child = try ChildProcess.spawn(["sleep", "5"])
/// child.send(SIGTERM)
/// print(child.waitForExit(timeoutSecs: 5) ?? "still running")
/// ```
///
/// The command is looked up in `PATH` and inherits the environment and the
/// standard streams. It runs in a process group of its own (unless
/// `ownProcessGroup` is false), so that it and everything it starts can be
/// stopped together with `sendToGroup`, and Ctrl-C at the terminal reaches
/// the watcher only, which passes it on. SIGINT, SIGTERM and SIGPIPE are
/// reset to their default action and the signal mask is cleared, whatever
/// the spawning thread had.
///
/// The reaper waits for the exit without reaping (`WNOWAIT`), marks the child
/// exited, then reaps it, under the same lock `send` takes: a signal is never
/// sent to a pid the kernel may have given to another process.
public final class ChildProcess: Sendable {
    public let pid: Int32
    public let arguments: [String]
    /// Whether the child leads a process group of its own (its id is the child's pid).
    public let hasOwnProcessGroup: Bool
    private let state: ExitState

    /// The exit status, guarded by a condition so `waitForExit` can sleep on it.
    private final class ExitState: @unchecked Sendable {
        // @unchecked: `status` is only touched with `condition` locked.
        let condition = NSCondition()
        var status: ExitStatus?
    }

    private init(pid: Int32, arguments: [String], hasOwnProcessGroup: Bool, state: ExitState) {
        self.pid = pid
        self.hasOwnProcessGroup = hasOwnProcessGroup
        self.arguments = arguments
        self.state = state
    }

    /// Starts `arguments[0]` (looked up in `PATH`) with the rest as its arguments.
    /// `onExit` runs on the reaper thread once the child has exited and been reaped.
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later),
    /// looked up at run time: Swift's Glibc module does not declare it.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Throws `WatchError.spawnFailed` when the command cannot be started.
    public static func spawn(_ arguments: [String], ownProcessGroup: Bool = true,
                             onExit: @escaping @Sendable () -> Void = {}) throws(WatchError) -> ChildProcess {
        guard let program = arguments.first, !program.isEmpty else {
            throw .spawnFailed(command: "", errno: ENOENT)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        // The watcher ignores SIGPIPE to see a closed stdout as EPIPE; the command must not inherit that.
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The command gets standard input, output and error, nothing else: no
        // descriptor of the watcher's (pipes of other children, sockets, files)
        // leaks into it, or its lifetime would hold them open.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let closesTheRest = Self.addCloseFrom.map { $0(&actions, 3) == 0 } ?? false
        var pid: pid_t = 0
        let result = closesTheRest
            ? posix_spawnp(&pid, program, &actions, &attributes, &argv, environ)
            : posix_spawnp(&pid, program, nil, &attributes, &argv, environ)
        guard result == 0 else { throw .spawnFailed(command: program, errno: result) }

        let state = ExitState()
        let childPID = pid
        let reaper = Thread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(childPID), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            state.condition.lock()
            var status: Int32 = 0
            while waitpid(childPID, &status, 0) < 0 && errno == EINTR {}
            state.status = ExitStatus(waitStatus: status)
            state.condition.broadcast()
            state.condition.unlock()
            onExit()
        }
        reaper.name = "LeakHistory.reaper.\(childPID)"
        reaper.start()
        return ChildProcess(pid: pid, arguments: arguments, hasOwnProcessGroup: ownProcessGroup, state: state)
    }

    /// How the child ended, or `nil` while it runs.
    public var exitStatus: ExitStatus? {
        state.condition.lock()
        defer { state.condition.unlock() }
        return state.status
    }

    /// Sends `signal` unless the child has exited. Returns whether it was sent.
    @discardableResult
    public func send(_ signal: Int32) -> Bool {
        state.condition.lock()
        defer { state.condition.unlock() }
        guard state.status == nil else { return false }
        return kill(pid, signal) == 0
    }

    /// Sends `signal` to the child's process group (when it has one of its
    /// own): the child and what it started, while any of them is left. A
    /// group id is not given out as a pid while the group has a member.
    @discardableResult
    public func sendToGroup(_ signal: Int32) -> Bool {
        state.condition.lock()
        defer { state.condition.unlock() }
        guard hasOwnProcessGroup else { return false }
        return kill(-pid, signal) == 0
    }

    /// Waits up to `timeoutSecs` for the child to exit; its status, or `nil` if it still runs.
    @discardableResult
    public func waitForExit(timeoutSecs: Double) -> ExitStatus? {
        let deadline = Date(timeIntervalSinceNow: timeoutSecs)
        state.condition.lock()
        defer { state.condition.unlock() }
        while state.status == nil && state.condition.wait(until: deadline) {}
        return state.status
    }

    /// Ends the child: SIGTERM, then SIGKILL if it is still running after `graceSecs`.
    public func terminate(graceSecs: Double = 5) -> ExitStatus {
        send(SIGTERM)
        if let status = waitForExit(timeoutSecs: graceSecs) { return status }
        send(SIGKILL)
        // SIGKILL cannot be caught; only an uninterruptible sleep delays the exit.
        while true {
            if let status = waitForExit(timeoutSecs: 60) { return status }
        }
    }
}
