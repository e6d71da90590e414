import LeakHistoryAnalysis
import SQLiteStore

/// A write that failed because of where the history lives, not what was
/// sent: the cause in plain words, for a 503/507 or a CLI message.
///
/// ```swift
/// catch {
///     if let failure = StorageFailure(error, path: path) { print(failure.message) }
/// }
/// ```
public struct StorageFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The file (or its file system) cannot be written.
        case readOnly = "read_only"
        /// The disk holding the file is full.
        case diskFull = "disk_full"
        /// Another writer held the file for longer than the busy timeout.
        case busy
        /// The file cannot be opened or read back (removed, I/O error, permissions).
        case unavailable
    }

    public var kind: Kind
    public var message: String

    /// The failure `error` stands for, or nil when it is not a storage problem.
    public init?(_ error: any Error, path: String) {
        guard let error = error as? DatabaseError else { return nil }
        let detail = error.message
        switch error.resultCode.primaryResultCode {
        case .readonly:
            kind = .readOnly
            message = "the database file '\(path)' is read-only (its mode, owner or file system does not allow writing): \(detail)"
        case .full:
            kind = .diskFull
            message = "the disk holding '\(path)' is full: \(detail)"
        case .busy, .locked:
            kind = .busy
            message = "the database '\(path)' is busy: \(detail)"
        case .cantopen, .ioerr, .perm, .auth:
            kind = .unavailable
            message = "the database file '\(path)' cannot be written: \(detail)"
        default:
            return nil
        }
    }

    public var description: String { message }
}
