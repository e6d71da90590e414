import LeakHistoryAnalysis
import Foundation
import SQLiteStore

/// Which series an export writes.
public enum ExportKind: String, Sendable, CaseIterable {
    case snapshots
    case components
}

extension HistoryReader {
    /// Streams `what` over `window` as RFC 4180 CSV with a header row to `sink`,
    /// in chunks of about 64 KiB, so memory stays flat however many rows.
    /// Returns the number of data rows.
    ///
    /// ```swift
    /// let rows = try reader.exportCSV(.components, window: window) { chunk in
    ///     FileHandle.standardOutput.write(chunk)
    /// }
    /// ```
    @discardableResult
    public func exportCSV(_ what: ExportKind, source: String? = nil, component: String? = nil, window: TimeWindow,
                          progress: ((Int) -> Void)? = nil, sink: (Data) throws -> Void) throws -> Int {
        if let source { _ = try requireSource(source) }
        return try withoutActuallyEscaping(sink) { sink in
            try export(what, source: source, component: component, window: window, progress: progress, sink: sink)
        }
    }

    private func export(_ what: ExportKind, source: String?, component: String?, window: TimeWindow,
                        progress: ((Int) -> Void)?, sink: @escaping (Data) throws -> Void) throws -> Int {
        var buffer = CSVBuffer(sink: sink)
        var rows = 0
        let sources = try store.sources().filter { source == nil || $0.name == source }.sorted { $0.name < $1.name }
        func counted(_ n: Int) {
            let before = rows
            rows += n
            if rows / 100_000 != before / 100_000 { progress?(rows) }
        }
        switch what {
        case .snapshots:
            try buffer.row(["source", "run_id", "ts_ms", "ts", "usage_bytes"])
            for src in sources {
                let name = buffer.field(src.name)
                try store.forEachRawSample(.usage(sourceID: src.id), fromMs: window.fromMs, toMs: window.toMs) { samples in
                    for s in samples {
                        try buffer.row(name, s.runID, s.tsMs, s.bytes)
                    }
                    counted(samples.count)
                }
            }
        case .components:
            try buffer.row(["source", "component", "kind", "run_id", "ts_ms", "ts", "allocated_bytes", "allocations", "deallocations"])
            for src in sources {
                let sourceName = buffer.field(src.name)
                for c in try store.components(sourceID: src.id) where component == nil || c.name == component {
                    let prefix = sourceName + [UInt8(ascii: ",")] + buffer.field(c.name) + Array((c.kind == .gauge ? ",gauge" : ",counted").utf8)
                    try store.forEachRawSample(.component(c.id), fromMs: window.fromMs, toMs: window.toMs) { samples in
                        for s in samples {
                            try buffer.row(prefix, s.runID, s.tsMs, s.bytes, s.allocations, s.deallocations)
                        }
                        counted(samples.count)
                    }
                }
            }
        }
        try buffer.flush()
        return rows
    }
}

/// Builds CSV bytes and hands them on in chunks.
struct CSVBuffer {
    private var bytes: [UInt8] = []
    private let sink: (Data) throws -> Void
    private let chunk = 64 * 1024

    init(sink: @escaping (Data) throws -> Void) {
        self.sink = sink
        bytes.reserveCapacity(chunk + 4096)
    }

    mutating func row(_ fields: [String]) throws {
        for (i, field) in fields.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            append(field)
        }
        try endRow()
    }

    /// `field` as its CSV bytes (quoted when it must be).
    func field(_ text: String) -> [UInt8] {
        var copy = CSVBuffer(sink: { _ in })
        copy.append(text)
        return copy.bytes
    }

    /// The columns both kinds of row begin with: the prefix (CSV bytes of
    /// the source, and for a component its name and kind), run, ts_ms, its
    /// UTC time and the bytes.
    private mutating func appendSample(_ prefix: [UInt8], _ run: Int64, _ ts: Int64, _ bytes: Int64) {
        self.bytes.append(contentsOf: prefix)
        self.bytes.append(UInt8(ascii: ","))
        appendInteger(run)
        self.bytes.append(UInt8(ascii: ","))
        appendInteger(ts)
        self.bytes.append(UInt8(ascii: ","))
        appendTimestamp(ts)
        self.bytes.append(UInt8(ascii: ","))
        appendInteger(bytes)
    }

    /// A snapshot row: the source's CSV bytes, run, ts_ms, its UTC time, usage.
    mutating func row(_ source: [UInt8], _ run: Int64, _ ts: Int64, _ bytes: Int64) throws {
        appendSample(source, run, ts, bytes)
        try endRow()
    }

    /// A component row: source, component and kind as CSV bytes, then run, ts_ms, its UTC time, bytes and the counts.
    mutating func row(_ prefix: [UInt8], _ run: Int64, _ ts: Int64, _ bytes: Int64, _ allocations: Int64?, _ deallocations: Int64?) throws {
        appendSample(prefix, run, ts, bytes)
        self.bytes.append(UInt8(ascii: ","))
        if let allocations { appendInteger(allocations) }
        self.bytes.append(UInt8(ascii: ","))
        if let deallocations { appendInteger(deallocations) }
        try endRow()
    }

    /// `ms` as `YYYY-MM-DDTHH:MM:SS.fffZ` (UTC), as SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ')` writes it.
    mutating func appendTimestamp(_ ms: Int64) {
        CivilTime(ms: ms).appendISO(to: &bytes)
    }

    private mutating func endRow() throws {
        bytes.append(UInt8(ascii: "\r"))
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= chunk { try flush() }
    }

    mutating func flush() throws {
        guard !bytes.isEmpty else { return }
        try sink(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }

    fileprivate mutating func append(_ field: String) {
        append(field.utf8)
    }

    /// RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled.
    private mutating func append(_ utf8: some Collection<UInt8>) {
        if utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }) {
            bytes.append(UInt8(ascii: "\""))
            for b in utf8 {
                if b == UInt8(ascii: "\"") { bytes.append(b) }
                bytes.append(b)
            }
            bytes.append(UInt8(ascii: "\""))
        } else {
            bytes.append(contentsOf: utf8)
        }
    }

    private mutating func appendInteger(_ value: Int64) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var v = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buffer in
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[i]) }
        }
    }
}
