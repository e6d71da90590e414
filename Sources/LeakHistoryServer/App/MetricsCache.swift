import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the database file and its write-ahead log look like on disk: every
/// commit, by any process, changes the log's size or time, so an unchanged
/// signature means the figures read from the file are still current.
struct DatabaseFileSignature: Sendable, Equatable {
    private var parts: [Int64] = []

    init(path: String) {
        for file in [path, path + "-wal"] {
            var info = stat()
            if stat(file, &info) == 0 {
                parts += [Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_ino)]
            } else {
                parts += [-1]
            }
        }
    }
}

/// The database part of `/metrics`, built at most once at a time: a scrape
/// reuses it while the file is unchanged and it is younger than the maximum
/// age (the window slides with time); while it is rebuilt, scrapes get the
/// previous text at once instead of queueing behind the rebuild.
actor MetricsCache {
    private var entry: (key: DatabaseFileSignature, built: ContinuousClock.Instant, text: String)?
    private var rebuilding: Task<String, any Error>?

    func text(key: DatabaseFileSignature, maxAgeSecs: Double,
              build: @escaping @Sendable () async throws -> String) async throws -> (text: String, ageSecs: Double) {
        let now = ContinuousClock.now
        if let entry, entry.key == key, Self.seconds(entry.built.duration(to: now)) < maxAgeSecs {
            return (entry.text, Self.seconds(entry.built.duration(to: now)))
        }
        if let rebuilding {
            if let entry { return (entry.text, Self.seconds(entry.built.duration(to: now))) }
            return (try await rebuilding.value, 0)
        }
        let task = Task { try await build() }
        rebuilding = task
        defer { rebuilding = nil }
        let text = try await task.value
        entry = (key, ContinuousClock.now, text)
        return (text, 0)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
