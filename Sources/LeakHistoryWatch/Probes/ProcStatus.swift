import LeakHistory

/// The memory figures of `/proc/PID/status`, in bytes.
///
/// ```swift
/// let status = ProcStatus.parse(try String(contentsOfFile: "/proc/self/status"))
/// print(status.name ?? "?", status.vmRSSBytes ?? 0)
/// ```
///
/// Parsing never fails: a line that is not `Key: value` or a size that is not
/// a number of `kB` leaves its field `nil`. A kernel thread has no `VmRSS`
/// line, nor has a zombie; `hasUserMemory` is false for both.
public struct ProcStatus: Sendable, Equatable {
    /// The command name (`comm`, at most 15 bytes), as the kernel escapes it.
    public var name: String?
    /// The state letter: `R`, `S`, `D`, `Z` (zombie), `T`, `I`, …
    public var state: String?
    public var tgid: Int32?
    public var pid: Int32?
    /// `Kthread:` (Linux 6.8 and later): whether it is a kernel thread.
    public var isKernelThreadFlag: Bool?
    /// Resident set size: `RssAnon` + `RssFile` + `RssShmem`.
    public var vmRSSBytes: Int64?
    public var rssAnonBytes: Int64?
    public var rssFileBytes: Int64?
    public var rssShmemBytes: Int64?
    /// Anonymous memory swapped out.
    public var vmSwapBytes: Int64?
    /// Peak resident set size.
    public var vmHWMBytes: Int64?

    public init() {}

    public var isZombie: Bool { state == "Z" || state == "X" }

    /// False for a kernel thread and for a process that has exited.
    public var hasUserMemory: Bool { vmRSSBytes != nil && !isZombie && isKernelThreadFlag != true }

    /// The fields of `text`, the content of a `/proc/PID/status` file.
    public static func parse(_ text: String) -> ProcStatus {
        var status = ProcStatus()
        for (key, value) in KeyValueText.colonSeparated(text) {
            switch key {
            case "Name": status.name = value
            case "State": status.state = value.split(separator: " ").first.map(String.init)
            case "Tgid": status.tgid = Int32(value)
            case "Pid": status.pid = Int32(value)
            case "Kthread": status.isKernelThreadFlag = Int(value).map { $0 != 0 }
            case "VmRSS": status.vmRSSBytes = KeyValueText.kilobytes(value)
            case "RssAnon": status.rssAnonBytes = KeyValueText.kilobytes(value)
            case "RssFile": status.rssFileBytes = KeyValueText.kilobytes(value)
            case "RssShmem": status.rssShmemBytes = KeyValueText.kilobytes(value)
            case "VmSwap": status.vmSwapBytes = KeyValueText.kilobytes(value)
            case "VmHWM": status.vmHWMBytes = KeyValueText.kilobytes(value)
            default: break
            }
        }
        return status
    }
}

/// The totals of `/proc/PID/smaps_rollup` (Linux 4.14 and later), in bytes.
///
/// ```swift
/// let rollup = SmapsRollup.parse(try String(contentsOfFile: "/proc/self/smaps_rollup"))
/// print(rollup.pssBytes ?? 0)
/// ```
///
/// PSS (proportional set size) charges each shared page to the processes that
/// map it in equal parts, so the PSS of all processes adds up to the memory in
/// use; it overlaps RSS and is not a part of it.
public struct SmapsRollup: Sendable, Equatable {
    public var rssBytes: Int64?
    public var pssBytes: Int64?
    public var pssAnonBytes: Int64?
    public var pssFileBytes: Int64?
    public var pssShmemBytes: Int64?
    public var swapBytes: Int64?
    public var swapPssBytes: Int64?

    public init() {}

    /// The fields of `text`; the first line (the address range) and unknown keys are skipped.
    public static func parse(_ text: String) -> SmapsRollup {
        var rollup = SmapsRollup()
        for (key, value) in KeyValueText.colonSeparated(text) {
            switch key {
            case "Rss": rollup.rssBytes = KeyValueText.kilobytes(value)
            case "Pss": rollup.pssBytes = KeyValueText.kilobytes(value)
            case "Pss_Anon": rollup.pssAnonBytes = KeyValueText.kilobytes(value)
            case "Pss_File": rollup.pssFileBytes = KeyValueText.kilobytes(value)
            case "Pss_Shmem": rollup.pssShmemBytes = KeyValueText.kilobytes(value)
            case "Swap": rollup.swapBytes = KeyValueText.kilobytes(value)
            case "SwapPss": rollup.swapPssBytes = KeyValueText.kilobytes(value)
            default: break
            }
        }
        return rollup
    }
}

/// The line formats of `/proc` and cgroup files, scanned as bytes: these
/// files are ASCII, and a watch parses one or two of them at every sample.
enum KeyValueText {
    /// `Key:<blanks>value` lines. A line with no colon, or whose key holds a
    /// blank (the address line of `smaps_rollup`), is skipped.
    static func colonSeparated(_ text: String) -> [(key: String, value: String)] {
        var result: [(String, String)] = []
        forEachLine(text) { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return }
            let key = line[..<colon]
            guard !key.contains(where: isBlank) else { return }
            let value = trimmed(line[(colon + 1)...])
            result.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return result
    }

    /// `key<blank>value` lines with an integer value, as cgroup v2 writes them.
    static func spaceSeparatedIntegers(_ text: String) -> [(key: String, value: Int64)] {
        var result: [(String, Int64)] = []
        forEachLine(text) { line in
            let fields = line.split(whereSeparator: isBlank)
            guard fields.count == 2, let value = Int64(String(decoding: fields[1], as: UTF8.self)) else { return }
            result.append((String(decoding: fields[0], as: UTF8.self), value))
        }
        return result
    }

    /// Bytes in a `/proc` size such as `10448 kB`. The kernel's "kB" is KiB and
    /// the only unit it writes there: another unit, none, a negative number or
    /// an overflow gives `nil` rather than a guess.
    static func kilobytes(_ value: String) -> Int64? {
        let fields = Array(value.utf8).split(whereSeparator: isBlank)
        guard fields.count == 2, fields[1].count == 2,
              fields[1].first.map({ $0 | 0x20 }) == UInt8(ascii: "k"), fields[1].last.map({ $0 | 0x20 }) == UInt8(ascii: "b"),
              let number = Int64(String(decoding: fields[0], as: UTF8.self)), number >= 0 else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
        return overflow ? nil : bytes
    }

    private static func forEachLine(_ text: String, _ body: (ArraySlice<UInt8>) -> Void) {
        let bytes = Array(text.utf8)
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            body(bytes[start..<end])
            start = end + 1
        }
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, isBlank(first) { slice = slice.dropFirst() }
        while let last = slice.last, isBlank(last) || last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        return slice
    }
}
