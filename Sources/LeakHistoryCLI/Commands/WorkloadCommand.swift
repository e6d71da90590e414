import ArgumentParser
import Foundation

/// Child processes with a known memory pattern, for `demo` and the tests: a
/// leak at a set rate and a steady sawtooth. Hidden from the help.
///
/// ```sh
/// leak-history workload leak --rate-mb-per-sec 4 --seconds 30
/// leak-history workload sawtooth --amplitude-mb 32 --period-secs 2
/// ```
///
/// Memory comes straight from `mmap` and is written a page at a time, so RSS
/// moves by exactly what the workload means (malloc would keep freed memory
/// and round sizes); `madvise(MADV_DONTNEED)` gives pages back at once. Both
/// pace themselves on the monotonic clock: a workload starved of CPU catches
/// up instead of falling behind its rate. Both exit when their parent dies, so
/// a killed watcher never leaves one running.
struct WorkloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workload",
        abstract: "Run a child workload with a known memory pattern (used by demo and the tests).",
        shouldDisplay: false,
        subcommands: [LeakWorkload.self, SawtoothWorkload.self]
    )
}

/// Options every workload takes.
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Exit after this many seconds (default: run until stopped).")
    var seconds: Double?

    @Option(help: "The exit status after --seconds.")
    var exitCode: Int32 = 0

    func validate() throws {
        if let seconds, !(seconds.isFinite && seconds > 0) {
            throw ValidationError("--seconds must be a positive number of seconds")
        }
    }
}

/// `workload leak`: touches new pages at a steady rate and never frees them.
struct LeakWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leak",
        abstract: "Grow RSS at a steady rate and never free it."
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "How fast RSS grows, in MB (MiB) per second.")
    var rateMbPerSec: Double = 4

    @Option(help: "Stop growing and exit once this many MB (MiB) are held, so a forgotten leaker cannot exhaust memory.")
    var maxMb: Int = 1024

    func validate() throws {
        guard rateMbPerSec.isFinite, rateMbPerSec > 0, rateMbPerSec <= 1024 else {
            throw ValidationError("--rate-mb-per-sec must be between 0 and 1024")
        }
        guard maxMb > 0, maxMb <= 64 * 1024 else { throw ValidationError("--max-mb must be between 1 and 65536") }
    }

    func run() throws {
        let capacity = maxMb << 20
        let pages = try TouchedPages(capacity: capacity)
        let clock = WorkloadClock(options: options)
        while true {
            let target = Int(rateMbPerSec * clock.elapsed * 1_048_576)
            pages.touch(upTo: min(target, capacity))
            if pages.touchedBytes >= capacity {
                FileHandle.standardError.write(Data("leak-history workload leak: reached --max-mb \(maxMb); exiting\n".utf8))
                throw ExitCode(options.exitCode)
            }
            try clock.tick()
        }
    }
}

/// `workload sawtooth`: fills a region over each period, then frees all of it.
struct SawtoothWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sawtooth",
        abstract: "Fill memory over each period and free it all at its end: steady, no leak."
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "The height of each tooth, in MB (MiB).")
    var amplitudeMb: Int = 32

    @Option(help: "The length of each tooth, in seconds.")
    var periodSecs: Double = 2

    func validate() throws {
        guard amplitudeMb > 0, amplitudeMb <= 16 * 1024 else { throw ValidationError("--amplitude-mb must be between 1 and 16384") }
        guard periodSecs.isFinite, periodSecs >= 0.05 else { throw ValidationError("--period-secs must be at least 0.05") }
    }

    func run() throws {
        let capacity = amplitudeMb << 20
        let pages = try TouchedPages(capacity: capacity)
        let clock = WorkloadClock(options: options)
        var tooth = 0
        while true {
            let now = clock.elapsed
            let current = Int(now / periodSecs)
            if current != tooth {
                pages.release()
                tooth = current
            }
            let phase = (now - Double(current) * periodSecs) / periodSecs
            pages.touch(upTo: Int(phase * Double(capacity)))
            try clock.tick()
        }
    }
}

/// An anonymous mapping whose pages are written one by one, so each counts in RSS.
private final class TouchedPages {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private(set) var touchedBytes = 0

    init(capacity: Int) throws {
        // NORESERVE: only the pages written count, against RSS and overcommit alike.
        let address = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let address, address != MAP_FAILED else {
            throw ValidationError("cannot map \(capacity >> 20) MB: \(String(cString: strerror(errno)))")
        }
        // Transparent huge pages would make RSS jump 2 MB at a time.
        _ = madvise(address, capacity, MADV_NOHUGEPAGE)
        base = address
        self.capacity = capacity
    }

    deinit {
        munmap(base, capacity)
    }

    func touch(upTo bytes: Int) {
        let limit = min(bytes, capacity)
        while touchedBytes + pageSize <= limit {
            base.storeBytes(of: 1, toByteOffset: touchedBytes, as: UInt8.self)
            touchedBytes += pageSize
        }
    }

    func release() {
        _ = madvise(base, capacity, MADV_DONTNEED)
        touchedBytes = 0
    }
}

/// The workloads' clock: elapsed time, a 10 ms tick, and the checks made on each tick.
private struct WorkloadClock {
    let options: WorkloadOptions
    private let start = Self.now()
    private let parent = getppid()

    init(options: WorkloadOptions) {
        self.options = options
    }

    var elapsed: Double { Self.now() - start }

    /// Sleeps a tick; throws `ExitCode` once `--seconds` have passed or the parent is gone.
    func tick() throws {
        if let seconds = options.seconds, elapsed >= seconds { throw ExitCode(options.exitCode) }
        // Reparented: the watcher died without stopping us.
        if getppid() != parent { throw ExitCode(0) }
        usleep(10_000)
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
