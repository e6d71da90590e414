import Foundation
import Synchronization
import LeakHistory

/// A clock the test moves by hand, so no test sleeps.
package final class ManualClock: Sendable {
    private let ms: Mutex<Int64>

    package init(startMs: Int64 = 1_700_000_000_000) {
        ms = Mutex(startMs)
    }

    package var nowMs: Int64 { ms.withLock { $0 } }

    package var now: @Sendable () -> Date {
        { [self] in UnixTime.date(milliseconds: self.nowMs) }
    }

    package func advance(ms delta: Int64) {
        ms.withLock { $0 += delta }
    }

    package func advance(seconds: Double) {
        advance(ms: Int64(seconds * 1000))
    }
}

/// A fresh directory under the system temp folder, removed by `remove()`.
package struct TemporaryDirectory {
    package let url: URL

    package init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("leakhistory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    package func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    package func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A fresh directory under the system temp folder, removed when `body` returns.
package func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) throws -> T) throws -> T {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    return try body(dir)
}

package let MiB = ByteSize.bytesPerMB

/// SplitMix64: a small seedable generator, so generated test data is the same on every run.
package struct SeededRandom: RandomNumberGenerator {
    package var state: UInt64

    package init(state: UInt64) { self.state = state }

    mutating package func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating package func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating package func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + uniform() * (range.upperBound - range.lowerBound)
    }

    /// A standard normal variate (Box–Muller).
    mutating package func gaussian() -> Double {
        let u1 = max(uniform(), 1e-12), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    mutating package func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating package func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}
