import CSQLite

/// The current result row of a statement, read by column index (0-based).
///
/// A view, not a copy: it is valid only inside the `forEachRow`, `fetchOne` or `fetchAll` closure
/// that received it. Don't store it; map it to your own values:
///
/// ```swift
/// let leaks = try statement.fetchAll { row in
///     Leak(id: row.int64(0), name: row.string(1), size: row.optionalInt64(2))
/// }
/// ```
///
/// Values are converted the way SQLite converts them (NULL reads as 0, 0.0, "" or []).
/// A column index out of range is a programming error and traps.
///
/// SQLite documentation: <https://www.sqlite.org/c3ref/column_blob.html>
public struct Row {
    let handle: OpaquePointer
    public let columnCount: Int

    init(handle: OpaquePointer, columnCount: Int) {
        self.handle = handle
        self.columnCount = columnCount
    }

    public func int64(_ index: Int) -> Int64 {
        sqlite3_column_int64(handle, column(index))
    }

    public func int(_ index: Int) -> Int {
        Int(int64(index))
    }

    public func double(_ index: Int) -> Double {
        sqlite3_column_double(handle, column(index))
    }

    /// The column as text; empty when NULL.
    public func string(_ index: Int) -> String {
        let column = column(index)
        // The pointer first, then the length: the documented order when a conversion happens.
        guard let text = sqlite3_column_text(handle, column) else {
            return ""
        }
        let length = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self)
    }

    /// The column as bytes; empty when NULL.
    public func blob(_ index: Int) -> [UInt8] {
        let column = column(index)
        guard let bytes = sqlite3_column_blob(handle, column) else {
            return []
        }
        let length = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: length))
    }

    /// Calls `body` with the column's bytes where SQLite holds them (empty when
    /// NULL), valid only inside `body`: a read that copies nothing.
    public func withUnsafeBlob<T>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let column = column(index)
        guard let bytes = sqlite3_column_blob(handle, column) else {
            return try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return try body(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, column))))
    }

    public func isNull(_ index: Int) -> Bool {
        sqlite3_column_type(handle, column(index)) == SQLITE_NULL
    }

    public func optionalInt64(_ index: Int) -> Int64? {
        isNull(index) ? nil : int64(index)
    }

    public func optionalDouble(_ index: Int) -> Double? {
        isNull(index) ? nil : double(index)
    }

    public func optionalString(_ index: Int) -> String? {
        isNull(index) ? nil : string(index)
    }

    /// The column's text bytes (UTF-8), lent to `body` without copying; empty when NULL.
    /// For writers that stream many rows (CSV export) and must not build a String per field.
    public func withTextBytes<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let column = column(index)
        guard let text = sqlite3_column_text(handle, column) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        let length = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeBufferPointer(start: text, count: length))
    }

    /// The column's storage class.
    public func storageClass(_ index: Int) -> StorageClass {
        switch sqlite3_column_type(handle, column(index)) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }

    /// SQLite's five storage classes (<https://www.sqlite.org/datatype3.html>).
    public enum StorageClass: Sendable {
        case null, integer, real, text, blob
    }

    /// The column in its SQLite storage class.
    public func value(_ index: Int) -> DatabaseValue {
        switch sqlite3_column_type(handle, column(index)) {
        case SQLITE_INTEGER: .integer(int64(index))
        case SQLITE_FLOAT: .real(double(index))
        case SQLITE_TEXT: .text(string(index))
        case SQLITE_BLOB: .blob(blob(index))
        default: .null
        }
    }

    private func column(_ index: Int) -> Int32 {
        precondition(index >= 0 && index < columnCount, "column index \(index) is out of range 0..<\(columnCount)")
        return Int32(index)
    }
}
