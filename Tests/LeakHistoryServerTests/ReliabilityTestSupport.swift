import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted for one test, so a full disk is real (the tests run
/// as root on CI); nil where mounting is not allowed.
final class SmallDisk {
    let mountPoint: String

    init?(kilobytes: Int) {
        mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("lh-disk-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", mountPoint]) else {
            print("skipped: cannot mount a tmpfs here (needs root)")
            try? FileManager.default.removeItem(atPath: mountPoint)
            return nil
        }
    }

    deinit {
        _ = Self.run("/bin/umount", [mountPoint])
        try? FileManager.default.removeItem(atPath: mountPoint)
    }

    func path(_ name: String) -> String { mountPoint + "/" + name }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// `leak-history ARGS…` as a child process, to its exit.
func leakHistory(_ arguments: [String], timeoutSecs: Double = 120) throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ServeProcess.start(arguments)
    let status = try child.waitForExit(timeoutSecs: timeoutSecs)
    return (status, child.standardOutput, child.standardError)
}

/// A TCP connection to the loopback port, for clients that misbehave on purpose.
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServeProcess.ServeError(description: "socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw ServeProcess.ServeError(description: "connect to port \(port) failed")
        }
    }

    deinit { close(fd) }

    /// Sends `text`; false once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Whether the server closed the connection (EOF or reset), waiting up to `timeoutMs`; what it sent before.
    func closedByServer(timeoutMs: Int32) -> (closed: Bool, received: String) {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, remaining) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return (true, String(decoding: received, as: UTF8.self)) }
            received += buffer[0..<n]
        }
        return (false, String(decoding: received, as: UTF8.self))
    }
}
