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
