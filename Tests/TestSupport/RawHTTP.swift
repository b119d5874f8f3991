// RawHTTP: one HTTP/1.1 request written byte for byte on a socket to 127.0.0.1 — for requests a client
// library would clean up first (`/../`, `%2e%2e`, odd methods) — and the raw answer.

import Foundation
import Glibc

public enum RawHTTP {
    /// A TCP connection to 127.0.0.1:`port` (close-on-exec: children spawned meanwhile do not inherit it); the
    /// caller closes it.
    public static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    /// Sends `request` (CRLF line ends, ending in an empty line) and returns everything the server answered
    /// before it closed the connection (the request should say `Connection: close`).
    public static func exchange(port: UInt16, _ request: String, timeout: TimeInterval = 10) throws -> String {
        let fd = try connect(port: port)
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            answer += chunk[..<n]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// `GET path` (or another method) with Connection: close.
    public static func get(port: UInt16, _ path: String, method: String = "GET", headers: [String] = []) throws -> String {
        try exchange(
            port: port, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "Connection: close\r\n\r\n")
    }
}
