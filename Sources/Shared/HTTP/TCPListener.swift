// TCPListener: a listening IPv4 TCP socket, the one place that binds one — for `orchestrator serve` (non-blocking,
// behind its poll loop) and the loopback servers of the tests and the demo. Port 0 takes any free port; the port
// bound is returned.

import Foundation

/// Listening sockets.
public enum TCPListener {
    /// A socket listening on `host:port` (an IPv4 address; `localhost` is 127.0.0.1) with close-on-exec, and
    /// non-blocking when asked; the port it got.
    public static func open(host: String, port: UInt16, nonBlocking: Bool = false, backlog: Int32 = 512) throws -> (fd: Int32, port: UInt16) {
        var parsed = in_addr()
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &parsed) == 1 else {
            throw SpoolError.system(operation: "listen (an IPv4 address such as 127.0.0.1 or 0.0.0.0 is expected)", path: host, errno: EINVAL)
        }
        let flags = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        let fd = socket(AF_INET, flags, 0)
        guard fd >= 0 else { throw SpoolError.system(operation: "socket", path: host, errno: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = parsed
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw SpoolError.system(operation: "bind/listen", path: "\(host):\(port)", errno: code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: actual.sin_port))
    }
}
