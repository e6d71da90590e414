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
        switch what {
        case .snapshots:
            try buffer.row(["source", "run_id", "ts_ms", "ts", "usage_bytes"])
            try store.db.cachedStatement(sql: Queries.exportSnapshots).forEachRow([source, window.fromMs, window.toMs]) { row in
                try buffer.row(row, columns: 5)
                rows += 1
                if rows % 100_000 == 0 { progress?(rows) }
            }
        case .components:
            try buffer.row(["source", "component", "kind", "run_id", "ts_ms", "ts", "allocated_bytes", "allocations", "deallocations"])
            try store.db.cachedStatement(sql: Queries.exportComponentSamples).forEachRow([source, window.fromMs, window.toMs, component]) { row in
                try buffer.row(row, columns: 9)
                rows += 1
                if rows % 100_000 == 0 { progress?(rows) }
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

    /// A row straight from a statement: integers are written without building a String.
    mutating func row(_ row: Row, columns: Int) throws {
        for i in 0..<columns {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            switch row.storageClass(i) {
            case .null: break
            case .integer: appendInteger(row.int64(i))
            case .real: append(String(row.double(i)).utf8)
            case .text, .blob: row.withTextBytes(i) { append($0) }
            }
        }
        try endRow()
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

    private mutating func append(_ field: String) {
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
