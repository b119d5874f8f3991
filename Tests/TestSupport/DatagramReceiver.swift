// DatagramReceiver: a Unix datagram socket (path or abstract `@name`) that a test binds to receive what a
// program sends to NOTIFY_SOCKET, exactly as systemd would.

import Foundation
import Shared

/// A bound AF_UNIX SOCK_DGRAM socket.
public final class DatagramReceiver: Sendable {
    private let fd: Int32
    public let name: String

    public init(_ name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard result == 0 else { throw SpoolError.system(operation: "bind", path: name, errno: errno) }
    }

    deinit { close(fd) }

    /// The next datagram, or nil after `timeout` seconds.
    public func receive(timeout: TimeInterval = 5) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    /// Every datagram that arrives within `timeout` seconds of the previous one.
    public func drain(timeout: TimeInterval = 0.2) -> [String] {
        var out: [String] = []
        while let message = receive(timeout: timeout) { out.append(message) }
        return out
    }
}
