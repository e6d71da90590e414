import ArgumentParser
import Foundation
import LeakHistory
import LeakHistoryWatch
import Synchronization

/// SIGINT and SIGTERM, caught so a watch stops cleanly: the handler only
/// notes the signal and wakes the watch loop through its pipe (both
/// async-signal-safe); the loop then stops, ends the runs and reports.
///
/// ```swift
/// WatchInterrupts.install(waking: wakeup)
/// defer { WatchInterrupts.restore() }
/// ```
///
/// A signal that was ignored when leak-history started (`nohup`, a
/// background job of a non-interactive shell) stays ignored.
enum WatchInterrupts {
    private static let signalNumber = Atomic<Int32>(0)
    private static let signalCount = Atomic<Int>(0)
    private static let wakeDescriptor = Atomic<Int32>(-1)

    /// The first signal caught, if any.
    static var received: Int32? {
        let signal = signalNumber.load(ordering: .acquiring)
        return signal == 0 ? nil : signal
    }

    /// How many signals were caught: a second Ctrl-C means "now".
    static var count: Int { signalCount.load(ordering: .acquiring) }

    static func install(waking wakeup: WatchWakeup) {
        // Touch every static first: their lazy initialisation is not signal-safe.
        signalNumber.store(0, ordering: .releasing)
        signalCount.store(0, ordering: .releasing)
        wakeDescriptor.store(wakeup.signalSafeFileDescriptor, ordering: .releasing)
        var action = sigaction()
        action.__sigaction_handler.sa_sigaction = { signal, _, _ in
            // The first signal is the one passed on to the command's tree (in a process group of its own,
            // which Ctrl-C at the terminal does not reach).
            _ = WatchInterrupts.signalNumber.compareExchange(expected: 0, desired: signal, ordering: .acquiringAndReleasing)
            WatchInterrupts.signalCount.wrappingAdd(1, ordering: .acquiringAndReleasing)
            var byte: UInt8 = 1
            _ = write(WatchInterrupts.wakeDescriptor.load(ordering: .acquiring), &byte, 1)
        }
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        for signal in [SIGINT, SIGTERM] {
            var previous = sigaction()
            sigaction(signal, nil, &previous)
            if unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            sigaction(signal, &action, nil)
        }
    }

    /// Puts back the default actions (leaving ignored signals ignored).
    static func restore() {
        for signal in [SIGINT, SIGTERM] {
            var current = sigaction()
            sigaction(signal, nil, &current)
            if current.sa_flags & SA_SIGINFO != 0 { Glibc.signal(signal, SIG_DFL) }
        }
        wakeDescriptor.store(-1, ordering: .releasing)
    }
}

