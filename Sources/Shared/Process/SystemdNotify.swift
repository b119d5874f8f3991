// SystemdNotify: the sd_notify datagram protocol written against Glibc (no libsystemd): READY=1, STATUS=…,
// WATCHDOG=1, STOPPING=1 sent to $NOTIFY_SOCKET. For an abstract socket (`@name`) the address length is
// the header plus the name, not the whole struct (the trap DESIGN.md records). Failures are ignored, as
// the manual recommends: a service must run the same with or without systemd.

import Foundation

/// Sends service state to systemd when started under `Type=notify`.
public struct SystemdNotifier: Sendable {
    public let socketPath: String
    /// Half of $WATCHDOG_USEC when the watchdog is on for this process.
    public let watchdogInterval: TimeInterval?

    /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; nil when not under systemd notify.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SystemdNotifier? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        var interval: TimeInterval?
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            let pidMatches = environment["WATCHDOG_PID"].flatMap(Int32.init).map { $0 == getpid() } ?? true
            if pidMatches { interval = usec / 2_000_000 }
        }
        return SystemdNotifier(socketPath: path, watchdogInterval: interval)
    }

    public init(socketPath: String, watchdogInterval: TimeInterval? = nil) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    public func ready(status: String? = nil) { send("READY=1" + (status.map { "\nSTATUS=" + $0 } ?? "")) }
    public func status(_ text: String) { send("STATUS=" + text.flattenedToOneLine()) }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1") }
    public func reloading() { send("RELOADING=1") }

    /// Sends one datagram; returns whether it was accepted.
    @discardableResult
    public func send(_ message: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let headerSize = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(headerSize + pathBytes.count + (abstract ? 0 : 1))
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                payload.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), sa, length)
                }
            }
        }
        return sent == payload.count
    }
}
