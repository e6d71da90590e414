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

    /// A snapshot row: the source's CSV bytes, run, ts_ms, its UTC time, usage.
    mutating func row(_ source: [UInt8], _ run: Int64, _ ts: Int64, _ bytes: Int64) throws {
        appendRow(source, run, ts, bytes, counts: nil)
        try endRow()
    }

    /// A component row: source, component and kind as CSV bytes, then run, ts_ms, its UTC time, bytes and the counts.
    mutating func row(_ prefix: [UInt8], _ run: Int64, _ ts: Int64, _ bytes: Int64, _ allocations: Int64?, _ deallocations: Int64?) throws {
        appendRow(prefix, run, ts, bytes, counts: (allocations, deallocations))
        try endRow()
    }

    /// The most bytes the numbers of a row take after its prefix: five
    /// integers, a timestamp, separators.
    private static let rowTailCapacity = 5 * DecimalDigits.maxBytes + 11 + CivilTime.timeOfDayBytes + 6

    /// The prefix (CSV bytes of the source, and for a component its name and
    /// kind), then run, ts_ms, its UTC time, the bytes and, for a component,
    /// the counts: the numbers written into the array's spare capacity
    /// directly, two digits a step (a row was a hundred appends, each
    /// checking that the array is uniquely held).
    private mutating func appendRow(_ prefix: [UInt8], _ run: Int64, _ ts: Int64, _ value: Int64,
                                    counts: (allocations: Int64?, deallocations: Int64?)?) {
        bytes.append(contentsOf: prefix)
        let day = ts >= 0 ? ts / 86_400_000 : (ts + 1) / 86_400_000 - 1
        if day != date.day { date = Self.datePrefix(day: day, ms: ts) }
        guard let dateBytes = date.bytes else {
            // A year outside 0…9999 (ingest never writes one): field by field.
            for field in [run, ts] {
                bytes.append(UInt8(ascii: ","))
                DecimalDigits.append(field, to: &bytes)
            }
            bytes.append(UInt8(ascii: ","))
            CivilTime(ms: ts).appendISO(to: &bytes)
            bytes.append(UInt8(ascii: ","))
            DecimalDigits.append(value, to: &bytes)
            if let counts {
                for count in [counts.allocations, counts.deallocations] {
                    bytes.append(UInt8(ascii: ","))
                    if let count { DecimalDigits.append(count, to: &bytes) }
                }
            }
            return
        }
        bytes.append(contentsOf: repeatElement(0, count: Self.rowTailCapacity))
        let end = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            var out = buffer.baseAddress! + buffer.count - Self.rowTailCapacity
            let start = out
            func put(_ byte: UInt8) { out.pointee = byte; out += 1 }
            put(UInt8(ascii: ","))
            out = DecimalDigits.write(run, to: out)
            put(UInt8(ascii: ","))
            out = DecimalDigits.write(ts, to: out)
            put(UInt8(ascii: ","))
            // The day's `YYYY-MM-DDT`, kept from the last row, then `HH:MM:SS.fffZ`.
            for b in dateBytes { put(b) }
            out = CivilTime.writeTimeOfDay(ts - day * 86_400_000, to: out)
            put(UInt8(ascii: ","))
            out = DecimalDigits.write(value, to: out)
            if let counts {
                put(UInt8(ascii: ","))
                if let allocations = counts.allocations { out = DecimalDigits.write(allocations, to: out) }
                put(UInt8(ascii: ","))
                if let deallocations = counts.deallocations { out = DecimalDigits.write(deallocations, to: out) }
            }
            return buffer.count - Self.rowTailCapacity + (out - start)
        }
        bytes.removeSubrange(end...)
    }

    /// The `YYYY-MM-DDT` of the day of `ms`, kept while rows stay on that day;
    /// nil for a year outside 0…9999, which is written field by field.
    private var date: (day: Int64, bytes: [UInt8]?) = (.min, nil)

    private static func datePrefix(day: Int64, ms: Int64) -> (day: Int64, bytes: [UInt8]?) {
        let civil = CivilTime(ms: ms)
        guard (0...9999).contains(civil.year) else { return (day, nil) }
        var text: [UInt8] = []
        civil.appendISO(to: &text)
        return (day, Array(text.prefix(11)))
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
}
