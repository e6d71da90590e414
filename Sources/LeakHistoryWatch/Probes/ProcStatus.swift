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
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// `parse` on the file's bytes: strings are made only for the dozen lines
    /// kept, not for the fifty others (a watch parses this file for every
    /// process at every sample).
    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> ProcStatus {
        var status = ProcStatus()
        KeyValueText.forEachColonSeparated(bytes) { key, value in
            // Dispatch on the key's length first: most lines are not wanted.
            switch key.count {
            case 3:
                if KeyValueText.equals(key, "Pid") { status.pid = Int32(KeyValueText.string(value)) }
            case 4:
                if KeyValueText.equals(key, "Name") {
                    status.name = KeyValueText.string(value)
                } else if KeyValueText.equals(key, "Tgid") {
                    status.tgid = Int32(KeyValueText.string(value))
                }
            case 5:
                if KeyValueText.equals(key, "State") {
                    // The letter before the blank: `S (sleeping)`.
                    let letter = value.prefix { $0 != UInt8(ascii: " ") }
                    if !letter.isEmpty { status.state = KeyValueText.string(letter) }
                } else if KeyValueText.equals(key, "VmRSS") {
                    status.vmRSSBytes = KeyValueText.kilobytes(value)
                } else if KeyValueText.equals(key, "VmHWM") {
                    status.vmHWMBytes = KeyValueText.kilobytes(value)
                }
            case 6:
                if KeyValueText.equals(key, "VmSwap") { status.vmSwapBytes = KeyValueText.kilobytes(value) }
            case 7:
                if KeyValueText.equals(key, "RssAnon") {
                    status.rssAnonBytes = KeyValueText.kilobytes(value)
                } else if KeyValueText.equals(key, "RssFile") {
                    status.rssFileBytes = KeyValueText.kilobytes(value)
                } else if KeyValueText.equals(key, "Kthread") {
                    status.isKernelThreadFlag = Int(KeyValueText.string(value)).map { $0 != 0 }
                }
            case 8:
                if KeyValueText.equals(key, "RssShmem") { status.rssShmemBytes = KeyValueText.kilobytes(value) }
            default:
                break
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
    typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    /// `Key:<blanks>value` lines. A line with no colon, or whose key holds a
    /// blank (the address line of `smaps_rollup`), is skipped.
    static func colonSeparated(_ text: String) -> [(key: String, value: String)] {
        var result: [(String, String)] = []
        var text = text
        text.withUTF8 { bytes in
            forEachColonSeparated(bytes) { key, value in result.append((string(key), string(value))) }
        }
        return result
    }

    /// Calls `body` with the key and the value (blanks around it trimmed) of
    /// each `Key:<blanks>value` line of `bytes`, with no copy; lines as
    /// `colonSeparated` takes them.
    static func forEachColonSeparated(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (_ key: Bytes, _ value: Bytes) -> Void) {
        forEachLine(bytes) { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return }
            let key = line[..<colon]
            guard !key.contains(where: isBlank) else { return }
            body(key, trimmed(line[(colon + 1)...]))
        }
    }

    /// `key<blank>value` lines with an integer value, as cgroup v2 writes them.
    static func spaceSeparatedIntegers(_ text: String) -> [(key: String, value: Int64)] {
        var result: [(String, Int64)] = []
        var text = text
        text.withUTF8 { bytes in
            forEachLine(bytes) { line in
                let fields = line.split(whereSeparator: isBlank)
                guard fields.count == 2, let value = Int64(string(fields[1])) else { return }
                result.append((string(fields[0]), value))
            }
        }
        return result
    }

    /// Bytes in a `/proc` size such as `10448 kB`. The kernel's "kB" is KiB and
    /// the only unit it writes there: another unit, none, a negative number or
    /// an overflow gives `nil` rather than a guess.
    static func kilobytes(_ value: String) -> Int64? {
        var value = value
        return value.withUTF8 { kilobytes($0[...]) }
    }

    static func kilobytes(_ value: Bytes) -> Int64? {
        let fields = value.split(whereSeparator: isBlank)
        guard fields.count == 2, fields[1].count == 2,
              fields[1].first.map({ $0 | 0x20 }) == UInt8(ascii: "k"), fields[1].last.map({ $0 | 0x20 }) == UInt8(ascii: "b"),
              let number = Int64(string(fields[0])), number >= 0 else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
        return overflow ? nil : bytes
    }

    /// Whether `bytes` are the ASCII `literal`.
    static func equals(_ bytes: Bytes, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        return literal.withUTF8Buffer { $0.elementsEqual(bytes) }
    }

    static func string(_ bytes: Bytes) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes), as: UTF8.self)
    }

    private static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Bytes) -> Void) {
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

    private static func trimmed(_ bytes: Bytes) -> Bytes {
        var slice = bytes
        while let first = slice.first, isBlank(first) { slice = slice.dropFirst() }
        while let last = slice.last, isBlank(last) || last == UInt8(ascii: "\r") { slice = slice.dropLast() }
        return slice
    }
}
