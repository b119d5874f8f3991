// LoopbackSSHD: Debian's real sshd on a loopback port with its own host key, config and authorized key in a
// temporary directory (nothing system-wide but the privilege-separation directory /run/sshd, which the
// openssh-server package creates at boot), and the ssh command line that reaches it with a pinned host key.

import Foundation
import Shared
import TestSupport

/// The programs the shipping tests need, and whether they can run here.
enum SSHTools {
    static let sshd = "/usr/sbin/sshd"
    static let keygen = "/usr/bin/ssh-keygen"
    static let missing: [String] = ["/usr/bin/rsync", "/usr/bin/ssh", keygen, sshd, "/usr/bin/flock", "/usr/bin/setsid"]
        .filter { !FileManager.default.isExecutableFile(atPath: $0) }
    /// Why the tests are skipped, or nil when they run.
    static let skipReason: String? =
        !missing.isEmpty
        ? "needs Debian's rsync, openssh-server and openssh-client (missing: \(missing.joined(separator: ", ")))"
        : geteuid() != 0 ? "sshd must run as root to log a user in" : nil
    static var available: Bool { skipReason == nil }
}

/// An sshd listening on 127.0.0.1, stopped when the value goes away.
final class LoopbackSSHD: Sendable {
    let dir: TemporaryDirectory
    let port: UInt16
    private let server: ChildProcess
    let log = LineCollector()

    /// The `ssh` command (for VIGIL_SHIP_SSH) that logs in with the test's key and checks the pinned host key.
    var sshCommand: String {
        "ssh -F /dev/null -p \(port) -i \(dir.url("client_key")) -o IdentitiesOnly=yes -o BatchMode=yes "
            + "-o UserKnownHostsFile=\(dir.url("known_hosts")) -o StrictHostKeyChecking=yes -o ConnectTimeout=10"
    }

    /// `user@127.0.0.1` for the user running the tests.
    var login: String {
        let name = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "root"
        return name + "@127.0.0.1"
    }

    init() throws {
        dir = TemporaryDirectory("sshd")
        for key in ["host_key", "client_key"] {
            let made = try Programs.runTool(SSHTools.keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "vigil-test", "-f", dir.url(key)])
            guard made.termination == .exited(0) else { throw SSHDFailure("ssh-keygen \(key): \(made.stderr)") }
        }
        try FileManager.default.copyItem(atPath: dir.url("client_key.pub"), toPath: dir.url("authorized_keys"))
        // sshd chroots its unprivileged child into /run/sshd; the package's tmpfiles.d creates it at boot.
        if FileIO.status("/run/sshd") == nil { try FileIO.makeDirectory("/run/sshd", mode: 0o755) }
        var attempt = 0
        while true {
            attempt += 1
            let listener = try TCPListener.open(host: "127.0.0.1", port: 0)
            close(listener.fd)
            let config = """
                Port \(listener.port)
                ListenAddress 127.0.0.1
                HostKey \(dir.url("host_key"))
                PidFile \(dir.url("sshd.pid"))
                AuthorizedKeysFile \(dir.url("authorized_keys"))
                PermitRootLogin prohibit-password
                PubkeyAuthentication yes
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                MaxStartups 50:30:100
                LogLevel INFO

                """
            try dir.write("sshd_config", config)
            let log = self.log
            let child = try ChildProcess(
                executable: SSHTools.sshd, arguments: ["-D", "-e", "-f", dir.url("sshd_config")], stdout: .discard,
                stderr: .lines { log.append($0) })
            let listening = "Server listening on 127.0.0.1 port \(listener.port)"
            if eventually(timeout: 20, { log.text.contains(listening) || child.termination != nil }), child.termination == nil {
                server = child
                port = listener.port
                break
            }
            child.signal(SIGKILL)
            child.wait()
            // Another process took the port between our probe and sshd's bind: try another.
            guard attempt < 5 else { throw SSHDFailure("sshd did not start: \(log.text)") }
        }
        let hostKey = try dir.read("host_key.pub").split(separator: " ").prefix(2).joined(separator: " ")
        try dir.write("known_hosts", "[127.0.0.1]:\(port) \(hostKey)\n")
    }

    deinit {
        server.signal(SIGTERM)
        if server.wait(timeout: 10) == nil {
            server.signal(SIGKILL)
            server.wait()
        }
    }
}

struct SSHDFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Programs {
    /// iproute2's `ip` (network namespaces, veth pairs), nil where it is not installed.
    static var ip: String? { ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { access($0, X_OK) == 0 } }

    /// Runs a system tool (not one of ours) to completion within `timeout` seconds.
    static func runTool(_ path: String, _ arguments: [String], environment: [String: String]? = nil, timeout: TimeInterval = 60) throws -> ProgramRun
    {
        let errors = LineCollector()
        let child = try ChildProcess(
            executable: path, arguments: arguments, environment: environment, stdout: .capture,
            stderr: .lines { errors.append($0) })
        guard let termination = child.wait(timeout: timeout) else {
            child.signal(SIGKILL)
            return ProgramRun(termination: child.wait(), stdout: child.output(), stderr: errors.text + "\n[killed after \(timeout)s]")
        }
        return ProgramRun(termination: termination, stdout: child.output(), stderr: errors.text)
    }
}
