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
    ///
    /// A dangling symbolic link is refused: SQLite would create its target with the umask's mode,
    /// somewhere the caller may not expect (O_EXCL does not follow it, so nothing here would).
    /// An existing empty file with a broader mode, which SQLite would adopt as a new database, is
    /// tightened to `mode` (`adjusted` says so); a non-empty one keeps its mode, the owner's choice.
    static func create(_ path: String, mode: UInt16, adjusted: (String) -> Void = { _ in }) throws -> Bool {
        var link = stat()
        if lstat(path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK {
            var target = stat()
            if stat(path, &target) != 0 {
                throw DatabaseError(resultCode: .cantopen,
                                    message: "the path is a symbolic link to \(linkTarget(path).map { "'\($0)'" } ?? "a file"), which does not exist: refusing to create the database through it (create the target first, or give its real path)",
                                    path: path)
            }
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else {
            if errno == EEXIST {
                try tightenIfEmpty(path, mode: mode, adjusted: adjusted)
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

    /// An empty file is a database SQLite is about to create: it gets `mode`, not whatever it had.
    private static func tightenIfEmpty(_ path: String, mode: UInt16, adjusted: (String) -> Void) throws {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size == 0 else { return }
        let current = UInt16(info.st_mode & 0o7777)
        guard current & ~mode != 0 else { return }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw failure("the existing empty file has mode \(String(current, radix: 8)), broader than \(String(mode, radix: 8)), and cannot be tightened", path: path)
        }
        adjusted("the existing empty file had mode \(String(current, radix: 8)); set it to \(String(mode, radix: 8)) before creating the database in it")
    }

    private static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Removes a file `create(_:mode:)` made, when opening it failed: leave nothing behind.
    static func remove(_ path: String) {
        unlink(path)
    }

    private static func failure(_ what: String, path: String) -> DatabaseError {
        DatabaseError(resultCode: .cantopen, message: "\(what): \(String(cString: strerror(errno)))", path: path)
    }
}
