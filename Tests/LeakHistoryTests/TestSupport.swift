import Foundation
import Synchronization
@testable import LeakHistory

/// A clock the test moves by hand, so no test sleeps.
final class ManualClock: Sendable {
    private let ms: Mutex<Int64>

    init(startMs: Int64 = 1_700_000_000_000) {
        ms = Mutex(startMs)
    }

    var nowMs: Int64 { ms.withLock { $0 } }

    var now: @Sendable () -> Date {
        { [self] in UnixTime.date(milliseconds: self.nowMs) }
    }

    func advance(ms delta: Int64) {
        ms.withLock { $0 += delta }
    }

    func advance(seconds: Double) {
        advance(ms: Int64(seconds * 1000))
    }
}

/// A fresh directory under the system temp folder, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("leakhistory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

let MiB = ByteSize.bytesPerMB

/// SplitMix64: a small seedable generator, so generated test data is the same on every run.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + uniform() * (range.upperBound - range.lowerBound)
    }

    /// A standard normal variate (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(uniform(), 1e-12), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
}
