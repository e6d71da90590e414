import CSQLite

/// An SQLite result code, primary or extended.
///
/// Compare the primary part when the family of error is what matters:
///
/// ```swift
/// if error.resultCode.primaryResultCode == .constraint { … }
/// ```
///
/// SQLite documentation: <https://www.sqlite.org/rescode.html>
public struct ResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The primary code: the least significant 8 bits of an extended code.
    public var primaryResultCode: ResultCode {
        ResultCode(rawValue: rawValue & 0xFF)
    }

    /// The code and SQLite's English text for it, e.g. `19 (constraint failed)`.
    ///
    /// SQLite documentation: <https://www.sqlite.org/c3ref/errcode.html>
    public var description: String {
        "\(rawValue) (\(String(cString: sqlite3_errstr(rawValue))))"
    }

    public static let ok = ResultCode(rawValue: SQLITE_OK)
    public static let error = ResultCode(rawValue: SQLITE_ERROR)
    public static let perm = ResultCode(rawValue: SQLITE_PERM)
    public static let abort = ResultCode(rawValue: SQLITE_ABORT)
    public static let busy = ResultCode(rawValue: SQLITE_BUSY)
    public static let locked = ResultCode(rawValue: SQLITE_LOCKED)
    public static let nomem = ResultCode(rawValue: SQLITE_NOMEM)
    public static let readonly = ResultCode(rawValue: SQLITE_READONLY)
    public static let interrupt = ResultCode(rawValue: SQLITE_INTERRUPT)
    public static let ioerr = ResultCode(rawValue: SQLITE_IOERR)
    public static let corrupt = ResultCode(rawValue: SQLITE_CORRUPT)
    public static let full = ResultCode(rawValue: SQLITE_FULL)
    public static let cantopen = ResultCode(rawValue: SQLITE_CANTOPEN)
    public static let schema = ResultCode(rawValue: SQLITE_SCHEMA)
    public static let toobig = ResultCode(rawValue: SQLITE_TOOBIG)
    public static let constraint = ResultCode(rawValue: SQLITE_CONSTRAINT)
    public static let mismatch = ResultCode(rawValue: SQLITE_MISMATCH)
    public static let misuse = ResultCode(rawValue: SQLITE_MISUSE)
    public static let auth = ResultCode(rawValue: SQLITE_AUTH)
    public static let format = ResultCode(rawValue: SQLITE_FORMAT)
    public static let range = ResultCode(rawValue: SQLITE_RANGE)
    public static let notadb = ResultCode(rawValue: SQLITE_NOTADB)
    public static let row = ResultCode(rawValue: SQLITE_ROW)
    public static let done = ResultCode(rawValue: SQLITE_DONE)
}

extension ResultCode {
    /// Lets a `catch` clause match a family of database errors:
    ///
    /// ```swift
    /// do { try statement.execute([id]) }
    /// catch ResultCode.constraint { … }   // any constraint failure
    /// catch ResultCode.constraintUnique { … } // only this extended code
    /// ```
    ///
    /// A primary code matches every extended code of its family; an extended
    /// code matches only itself. Errors that are not a `DatabaseError` never match.
    public static func ~= (pattern: ResultCode, error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return pattern == pattern.primaryResultCode
            ? error.resultCode.primaryResultCode == pattern
            : error.resultCode == pattern
    }

    // Extended codes are C macros of the form (PRIMARY | (n << 8)), which
    // Swift does not import. https://www.sqlite.org/rescode.html#extrc
    public static let constraintCheck = ResultCode(rawValue: SQLITE_CONSTRAINT | (1 << 8))
    public static let constraintUnique = ResultCode(rawValue: SQLITE_CONSTRAINT | (8 << 8))
}
