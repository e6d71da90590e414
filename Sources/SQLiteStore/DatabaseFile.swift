#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The database file on disk, before SQLite opens it.
enum DatabaseFile {
    /// Whether `path` names a file rather than an in-memory (`:memory:`) or temporary (`""`) database.
    static func isOnDisk(_ path: String) -> Bool {
        !path.isEmpty && path != ":memory:"
    }

    /// The name handed to `sqlite3_open_v2`: with URI filenames compiled in (Debian's build enables
    /// them), a relative path starting with `file:` would be parsed as a URI; `./` keeps it a plain path.
    ///
    /// SQLite documentation: <https://www.sqlite.org/uri.html>
    static func sqliteFilename(_ path: String) -> String {
        path.hasPrefix("file:") ? "./" + path : path
    }

    /// Creates a missing database file with exactly `mode`; returns whether it created it.
    ///
    /// Creating it ourselves (O_CREAT|O_EXCL), rather than chmod-ing after SQLite creates it, leaves no
    /// moment when the file exists with the umask's default mode, for another process to open.
    /// SQLite then gives the -wal, -shm and -journal files the main file's mode.
    static func create(_ path: String, mode: UInt16) throws -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else {
            if errno == EEXIST {
                return false
            }
            throw failure("cannot create the database file", path: path)
        }
        defer { close(descriptor) }
        // open(2) applied the umask; fchmod sets the mode asked for.
        guard fchmod(descriptor, mode_t(mode)) == 0 else {
            let error = failure("cannot set the database file's mode", path: path)
            unlink(path)
            throw error
        }
        return true
    }

    /// Removes a file `create(_:mode:)` made, when opening it failed: leave nothing behind.
    static func remove(_ path: String) {
        unlink(path)
    }

    private static func failure(_ what: String, path: String) -> DatabaseError {
        DatabaseError(resultCode: .cantopen, message: "\(what): \(String(cString: strerror(errno)))", path: path)
    }
}
