// TestCertificates: a private CA and server/client certificates made at test time with the openssl command
// (good, expired, not yet valid, expiring in 3 days, for the wrong host, a client certificate), and
// `openssl s_server` serving one of them on 127.0.0.1: a real third-party TLS server for the HTTP client.

import Foundation
import Shared

/// Whether the openssl command is installed (.ci/run installs it; without it the TLS tests are skipped).
public let opensslAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")

/// Certificates in a temporary directory, signed by one private CA.
public final class TestCertificates: Sendable {
    public let directory: TemporaryDirectory
    public var caFile: String { directory.url("ca.pem") }

    public init() throws {
        directory = TemporaryDirectory("certs")
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
            "-subj", "/CN=Vigil Test CA",
        ])
        try directory.write(
            "ca.cnf",
            """
            [ca]
            default_ca = test
            [test]
            dir = .
            database = index.txt
            new_certs_dir = .
            serial = serial
            private_key = ca.key
            certificate = ca.pem
            default_md = sha256
            policy = any
            copy_extensions = copy
            unique_subject = no
            [any]
            commonName = supplied

            """)
        try directory.write("index.txt", "")
        try directory.write("serial", "01\n")
    }

    /// Makes `name.pem` / `name.key` for `host`, valid from `start` to `end` (openssl's YYYYMMDDHHMMSSZ), signed by the CA.
    public func issue(_ name: String, host: String, start: Date, end: Date, client: Bool = false) throws {
        let san = host.first?.isNumber == true ? "IP:\(host)" : "DNS:\(host)"
        try openssl(
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=\(host)",
                "-addext", "subjectAltName=\(san)",
            ] + (client ? ["-addext", "extendedKeyUsage=clientAuth"] : []))
        try openssl([
            "ca", "-batch", "-config", "ca.cnf", "-in", name + ".csr", "-out", name + ".pem", "-notext",
            "-startdate", Self.stamp(start), "-enddate", Self.stamp(end),
        ])
    }

    /// `openssl s_server` answering every request with a status page (HTTP 200), until the process ends.
    public func serve(_ name: String, requireClientCertificate: Bool = false) throws -> (server: ChildProcess, port: UInt16) {
        let port = try closedPort()
        var arguments = [
            "s_server", "-accept", "127.0.0.1:\(port)", "-cert", directory.url(name + ".pem"), "-key", directory.url(name + ".key"),
            "-www", "-naccept", "100",
        ]
        if requireClientCertificate { arguments += ["-Verify", "1", "-CAfile", caFile] }
        let server = try ChildProcess(executable: "/usr/bin/openssl", arguments: arguments, stdout: .capture, stderr: .discard)
        // s_server prints ACCEPT once it listens.
        guard eventually(timeout: 20, { server.output().contains("ACCEPT") }) else {
            server.signal(SIGKILL)
            throw CertificateError(description: "openssl s_server did not start: \(server.output())")
        }
        return (server, port)
    }

    private func openssl(_ arguments: [String]) throws {
        let child = try ChildProcess(
            executable: "/usr/bin/env",
            arguments: ["sh", "-c", "cd \"$0\" && exec openssl \"$@\"", directory.path]
                + arguments, stdout: .capture, stderr: .capture)
        guard child.wait(timeout: 60) == .exited(0) else {
            throw CertificateError(description: "openssl \(arguments.joined(separator: " ")) failed: \(child.output())")
        }
    }

    private static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }
}

public struct CertificateError: Error, CustomStringConvertible {
    public let description: String
}
