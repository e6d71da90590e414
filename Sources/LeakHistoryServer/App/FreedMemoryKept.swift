#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// glibc hands freed memory at the top of a heap back to the system as soon
/// as more than 128 KiB of it is free (and per-thread heaps likewise), so a
/// server answering one report after another gets fresh pages for every
/// answer's arrays, and the kernel zeroes each on first touch: a quarter of
/// decoding a last-hour report was page faults. A server keeps what it
/// freed for the next request instead: up to 16 MiB free at a heap's top
/// before it is trimmed, and blocks under 4 MiB from the heap rather than
/// from `mmap` (setting the first fixes the second at 128 KiB otherwise).
/// The resident size stays near its peak, which a server reaches again
/// with the next wide report anyway.
public enum FreedMemoryKept {
    public static let trimThresholdBytes: Int32 = 16 << 20
    public static let mmapThresholdBytes: Int32 = 4 << 20

    /// Sets both, once, at the start of a long-running process; settings
    /// given in glibc's environment variables are left as given. Returns
    /// whether they were set (false off glibc, where there is no `mallopt`).
    @discardableResult
    public static func forTheNextRequest() -> Bool {
        #if canImport(Glibc)
        // `mallopt` is glibc's (malloc.h, which Swift's Glibc module leaves
        // out), looked up by name; the parameters are malloc.h's numbers.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
        let environment = ProcessInfo.processInfo.environment
        var set = true
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil && environment["MALLOC_TOP_PAD_"] == nil {
            set = mallopt(trimThreshold, trimThresholdBytes) == 1 && set
        }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil {
            set = mallopt(mmapThreshold, mmapThresholdBytes) == 1 && set
        }
        return set
        #else
        return false
        #endif
    }
}
