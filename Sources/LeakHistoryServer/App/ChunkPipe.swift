import Foundation
import Hummingbird

/// Hands chunks from a producer that blocks (a SQLite export on its own
/// thread) to an async consumer (the response writer), with at most
/// `capacity` chunks in between: a slow client slows the export down
/// instead of filling memory.
///
/// ```swift
/// let pipe = ChunkPipe(capacity: 4, stallTimeoutSecs: 60)
/// Thread { produce(into: pipe); pipe.finish() }.start()
/// while let chunk = try await pipe.next() { try await writer.write(chunk) }
/// ```
///
/// A producer that waits longer than `stallTimeoutSecs` for room gives up,
/// so a client that stops reading cannot hold the export's read transaction
/// (and with it the WAL file's growth) for ever.
final class ChunkPipe: @unchecked Sendable {
    /// Why a producer was told to stop.
    enum Stopped: Error, CustomStringConvertible {
        /// The consumer went away (the client disconnected).
        case cancelled
        /// The consumer took no chunk for the stall timeout.
        case stalled(seconds: Double)

        var description: String {
            switch self {
            case .cancelled: "the client went away"
            case .stalled(let seconds): "the client read nothing for \(seconds) s"
            }
        }
    }

    // A condition variable rather than a semaphore: a dispatch semaphore may
    // not be released while chunks it counts are outstanding, and a cancelled
    // export releases its pipe exactly then.
    private let condition = NSCondition()
    private let capacity: Int
    private let stallTimeoutSecs: Double
    // Guarded by `condition`, which is what makes the unchecked `Sendable` sound.
    private var chunks: [ByteBuffer] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var waiter: CheckedContinuation<ByteBuffer?, any Error>?

    init(capacity: Int, stallTimeoutSecs: Double) {
        self.capacity = max(1, capacity)
        self.stallTimeoutSecs = stallTimeoutSecs
    }

    /// Producer side: waits for room, then queues `chunk` or hands it to a waiting consumer.
    func send(_ chunk: ByteBuffer) throws {
        condition.lock()
        let deadline = Date().addingTimeInterval(stallTimeoutSecs)
        while chunks.count >= capacity && !cancelled {
            if !condition.wait(until: deadline) && chunks.count >= capacity && !cancelled {
                cancelled = true
                chunks.removeAll()
                condition.unlock()
                throw Stopped.stalled(seconds: stallTimeoutSecs)
            }
        }
        guard !cancelled else {
            condition.unlock()
            throw Stopped.cancelled
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: chunk)
            return
        }
        chunks.append(chunk)
        condition.unlock()
    }

    /// Producer side: no more chunks; `error` ends the consumer's loop with it.
    func finish(throwing error: (any Error)? = nil) {
        condition.lock()
        finished = true
        failure = error
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        guard let waiter else { return }
        if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
    }

    /// Consumer side: the next chunk, or `nil` at the end.
    func next() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if !chunks.isEmpty {
                let chunk = chunks.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: chunk)
            } else if finished {
                let failure = self.failure
                condition.unlock()
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Consumer side: stop the producer at its next chunk (waking it if it waits for room).
    func cancel() {
        condition.lock()
        cancelled = true
        chunks.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
