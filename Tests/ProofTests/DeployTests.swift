// Deployment: the systemd units pass `systemd-analyze verify` and every service reports readiness (serve too),
// install.sh installs into a staging root with the right modes, changes nothing on a second run, keeps an
// operator's config, and --dry-run changes nothing; `orchestrator demo` runs the whole pipeline on its own.
// The package itself is proven on a clean Debian root by deploy/test-deb.sh.

import Foundation
import Shared
import TestSupport
import Testing

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
private let hasSystemdAnalyze = FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")
private let hasDpkgDeb = FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-deb")

@Suite("Deployment", .ownThread)
struct DeployTests {
    @Test("every unit passes systemd-analyze verify (binaries taken from the build)", .enabled(if: hasSystemdAnalyze))
    func unitsVerify() throws {
        let dir = TemporaryDirectory("units")
        let units = try FileManager.default.contentsOfDirectory(atPath: repository + "/deploy/systemd").sorted()
        #expect(
            units == [
                "vigil-analyzer.service", "vigil-notifier.service", "vigil-orchestrator.service", "vigil-prober@.service",
                "vigil-prober@.timer", "vigil-web.service",
            ])
        var paths: [String] = []
        for unit in units {
            let text = try String(contentsOfFile: repository + "/deploy/systemd/" + unit, encoding: .utf8)
            // The web server only reads the spool.
            let access = unit == "vigil-web.service" ? "ReadOnlyPaths=/var/lib/vigil" : "ReadWritePaths=/var/lib/vigil"
            for directive in ["NoNewPrivileges=yes", "ProtectSystem=strict", access, "PrivateTmp=yes", "User=vigil"]
            where unit.hasSuffix(".service") {
                #expect(text.contains(directive), "\(unit) lacks \(directive)")
            }
            if unit.hasSuffix(".service"), !unit.contains("prober") {
                #expect(text.contains("Type=notify") && text.contains("NotifyAccess=main") && text.contains("Restart=on-failure"), "\(unit)")
                // sd_notify is a Unix datagram: a unit that restricts address families must allow AF_UNIX.
                #expect(!text.contains("RestrictAddressFamilies=") || text.contains("AF_UNIX"), "\(unit)")
                // The web server has no main loop to watch; the three services send WATCHDOG=1 from theirs.
                #expect(text.contains("WatchdogSec=") == (unit != "vigil-web.service"), "\(unit)")
            }
            #expect(text.contains("SyslogIdentifier=vigil-") || !unit.hasSuffix(".service"), "\(unit)")
            try dir.write(unit, text.replacingOccurrences(of: "/usr/local/bin/vigil-", with: Programs.directory + "/"))
            paths.append(dir.url(unit))
        }
        let verify = try ChildProcess(
            executable: "/usr/bin/systemd-analyze", arguments: ["verify"] + paths, stdout: .capture,
            stderr: .capture)
        let ended = verify.wait()
        #expect(ended == .exited(0), "systemd-analyze verify: \(verify.output())")
    }

    @Test("every service unit's systemd-analyze security exposure is 3.0 or below", .enabled(if: hasSystemdAnalyze))
    func exposure() throws {
        for unit in try FileManager.default.contentsOfDirectory(atPath: repository + "/deploy/systemd").sorted() where unit.hasSuffix(".service") {
            let child = try ChildProcess(
                executable: "/usr/bin/systemd-analyze", arguments: ["security", "--offline=true", repository + "/deploy/systemd/" + unit],
                stdout: .capture, stderr: .discard)
            _ = child.wait()
            let line = child.output().split(separator: "\n").last { $0.contains("Overall exposure level") } ?? ""
            let figure = line.split(separator: " ").compactMap { Double($0) }.first
            #expect(figure != nil && figure! <= 3.0, "\(unit): \(line)")
        }
    }

    @Test(
        "the .deb holds the vigil-* binaries, the units, the conffiles with their modes, the maintainer scripts, copyright, changelog and manual pages",
        .enabled(if: hasDpkgDeb, "needs dpkg-deb"))
    func debianPackage() throws {
        let dir = TemporaryDirectory("deb")
        // The test build needs the toolchain's libswiftCore.so: --layout-only packages it anyway (the real
        // package, static, is proven on a clean Debian root by deploy/test-deb.sh).
        let build = try ChildProcess(
            executable: "/bin/bash",
            arguments: [repository + "/deploy/build-deb.sh", "--no-build", "--layout-only", "--bin-dir", Programs.directory, "--out", dir.path],
            stdout: .capture, stderr: .discard)
        #expect(build.wait(timeout: 300) == .exited(0), "\(build.output())")
        let deb = build.output().trimmingCharacters(in: .whitespacesAndNewlines)
        func dpkg(_ arguments: [String]) throws -> String {
            let child = try ChildProcess(executable: "/usr/bin/dpkg-deb", arguments: arguments, stdout: .capture, stderr: .discard)
            #expect(child.wait(timeout: 60) == .exited(0))
            return child.output()
        }
        let info = try dpkg(["--info", deb])
        #expect(info.contains("Package: vigil") && info.contains("Version: \(Version.vigil)-1") && info.contains("Depends: adduser, libcurl4"))
        // The package claims the revision the binaries carry, whatever HEAD is (the test build carries none).
        let claimed = Version.revision ?? "(none given)"
        #expect(info.contains("Built from git revision \(claimed)."), "\(info)")
        for script in ["postinst", "prerm", "postrm", "conffiles", "md5sums"] { #expect(info.contains(" \(script) "), "\(script) missing: \(info)") }
        let contents = try dpkg(["--contents", deb])
        func entry(_ path: String) -> String? { contents.split(separator: "\n").first { $0.hasSuffix(" ." + path) }.map(String.init) }
        for program in ["orchestrator", "prober", "analyzer", "notifier"] {
            #expect(entry("/usr/bin/vigil-\(program)")?.hasPrefix("-rwxr-xr-x root/root") == true, "vigil-\(program)")
            #expect(entry("/usr/share/man/man1/vigil-\(program).1.gz")?.hasPrefix("-rw-r--r-- root/root") == true, "vigil-\(program).1.gz")
        }
        for doc in ["copyright", "changelog.Debian.gz", "operating-guide.md"] {
            #expect(entry("/usr/share/doc/vigil/\(doc)")?.hasPrefix("-rw-r--r-- root/root") == true, "\(doc)")
        }
        #expect(entry("/etc/vigil/vigil.env")?.hasPrefix("-rw------- root/root") == true)
        #expect(entry("/etc/vigil/config.yaml")?.hasPrefix("-rw-r----- root/root") == true)
        for unit in ["vigil-orchestrator.service", "vigil-analyzer.service", "vigil-notifier.service", "vigil-web.service", "vigil-prober@.service"] {
            #expect(entry("/lib/systemd/system/\(unit)")?.hasPrefix("-rw-r--r--") == true, "\(unit)")
        }
        let control = dir.url("control")
        _ = try dpkg(["--control", deb, control])
        let conffiles = try String(contentsOfFile: control + "/conffiles", encoding: .utf8).split(separator: "\n")
        #expect(conffiles.contains("/etc/vigil/config.yaml") && conffiles.contains("/etc/vigil/vigil.env"))
        #expect(conffiles.contains("/etc/vigil/Interface-pool/user/profile/get-info.yaml"))
        let postinst = try String(contentsOfFile: control + "/postinst", encoding: .utf8)
        #expect(postinst.contains("adduser --system --group") && postinst.contains("install -d -o vigil -g vigil -m 0710 /var/lib/vigil"))
        let postrm = try String(contentsOfFile: control + "/postrm", encoding: .utf8)
        #expect(postrm.contains("VIGIL_PURGE_SPOOL") && postrm.contains("rm -rf /etc/vigil"))
        // The packaged units run the packaged binaries.
        let unpacked = dir.url("root")
        _ = try dpkg(["-x", deb, unpacked])
        let unit = try String(contentsOfFile: unpacked + "/lib/systemd/system/vigil-orchestrator.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/bin/vigil-orchestrator --config /etc/vigil/config.yaml") && !unit.contains("/usr/local/"))
        let copyright = try String(contentsOfFile: unpacked + "/usr/share/doc/vigil/copyright", encoding: .utf8)
        #expect(copyright.hasPrefix("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"))
    }

    @Test(
        "build-deb.sh refuses binaries that need a library no Debian package provides (the toolchain's libswiftCore.so)",
        .enabled(if: hasDpkgDeb, "needs dpkg-deb"))
    func refusesToolchainLibraries() throws {
        let dir = TemporaryDirectory("deb-refused")
        let build = try ChildProcess(
            executable: "/bin/bash",
            arguments: [repository + "/deploy/build-deb.sh", "--no-build", "--bin-dir", Programs.directory, "--out", dir.path],
            stdout: .capture, stderr: .capture)
        #expect(build.wait(timeout: 300) == .exited(1))
        #expect(
            build.output().contains("needs libraries no Debian package provides: ") && build.output().contains("libswiftCore.so"), "\(build.output())"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no package is made")
    }

    @Test("install.sh refuses to build as root: build as yourself, install with --no-build", .enabled(if: getuid() == 0))
    func noBuildAsRoot() throws {
        let dir = TemporaryDirectory("install-root")
        let child = try ChildProcess(
            executable: "/bin/bash", arguments: [repository + "/deploy/install.sh", "--prefix", dir.url("root")], stdout: .capture,
            stderr: .capture)
        #expect(child.wait() == .exited(2))
        #expect(child.output().contains("refusing to build as root"), "\(child.output())")
        #expect(!FileManager.default.fileExists(atPath: dir.url("root")))
    }

    @Test("install.sh: dry run changes nothing; a staging install has the right modes; a second run changes nothing")
    func installScript() throws {
        let dir = TemporaryDirectory("install")
        let root = dir.url("root")
        let script = repository + "/deploy/install.sh"
        func install(_ extra: [String]) throws -> ProgramRun {
            let child = try ChildProcess(
                executable: "/bin/bash",
                arguments: [
                    script, "--prefix", root, "--no-build", "--bin-dir", Programs.directory,
                    "--no-user",
                ] + extra, stdout: .capture, stderr: .capture)
            let ended = child.wait()
            return ProgramRun(termination: ended, stdout: child.output(), stderr: "")
        }
        let passwd = try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        defer { #expect((try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)) == passwd, "a staging install leaves /etc/passwd alone") }
        let dry = try install(["--dry-run"])
        #expect(dry.exitCode == 0, "\(dry.stdout)")
        #expect(dry.stdout.contains("would install \(root)/usr/local/bin/vigil-orchestrator"))
        #expect(
            !dry.stdout.contains("would run: useradd") && !dry.stdout.contains("would run: chown"), "a staging install never touches the host's users"
        )
        #expect(!FileManager.default.fileExists(atPath: root), "a dry run creates nothing")

        let first = try install([])
        #expect(first.exitCode == 0, "\(first.stdout)")
        let mode = { (path: String) in (FileIO.status(root + path)?.st_mode ?? 0) & 0o7777 }
        #expect(mode("/usr/local/bin/vigil-prober") == 0o755)
        #expect(mode("/etc/systemd/system/vigil-orchestrator.service") == 0o644)
        #expect(mode("/etc/vigil/config.yaml") == 0o640 && mode("/etc/vigil/vigil.env") == 0o600)
        #expect(mode("/var/lib/vigil/spool") == 0o710 && mode("/var/lib/vigil") == 0o710)
        #expect(first.stdout.contains("staged under \(root) (nothing outside it was changed)"), "\(first.stdout)")
        #expect(FileManager.default.fileExists(atPath: root + "/etc/vigil/Interface-pool/user/profile/get-info.yaml"))
        let config = try String(contentsOfFile: root + "/etc/vigil/config.yaml", encoding: .utf8)
        #expect(config.contains("dir: /var/lib/vigil/spool"))

        try Data("# my own config\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/vigil/config.yaml"))
        let second = try install([])
        #expect(second.exitCode == 0)
        #expect(!second.stdout.contains("installed "), "nothing changes on a second run: \(second.stdout)")
        #expect(second.stdout.contains("kept       \(root)/etc/vigil/config.yaml (exists)"))
        #expect(try String(contentsOfFile: root + "/etc/vigil/config.yaml", encoding: .utf8) == "# my own config\n")
    }

    @Test("orchestrator serve sends READY=1 only once its socket accepts connections, and STOPPING=1 on SIGTERM")
    func webReadiness() throws {
        let dir = TemporaryDirectory("web-notify")
        let port = try closedPort()
        try dir.write("config.yaml", "web:\n  listen: 127.0.0.1:\(port)\nspool:\n  dir: spool\n")
        try dir.write("spool/site/index.html", "<html>index</html>")
        let receiver = try DatagramReceiver(dir.url("notify.sock"))
        let server = try Programs.start(
            "orchestrator", ["serve", "--config", dir.url("config.yaml")], environment: ["NOTIFY_SOCKET": dir.url("notify.sock")])
        defer {
            server.signal(SIGKILL)
            _ = server.wait()
        }
        let ready = try #require(receiver.receive(timeout: 20), "no sd_notify message from serve")
        #expect(ready == "READY=1\nSTATUS=serving http://127.0.0.1:\(port)/")
        // READY came after the bind: the first connection made after it is answered.
        #expect(try RawHTTP.get(port: port, "/").hasSuffix("<html>index</html>"))
        server.signal(SIGTERM)
        #expect(server.wait(timeout: 10) == .exited(0))
        #expect(receiver.drain() == ["STOPPING=1"])
    }

    @Test("orchestrator demo runs the four programs against its mock API and shows the report and the message")
    func demo() throws {
        let run = try Programs.run("orchestrator", ["demo"], timeout: 120)
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout.contains("# Vigil report — run "))
        #expect(run.stdout.contains("**3 failed** of 5 interfaces"))
        #expect(run.stdout.contains("---- the webhook received 1 message(s) ----"))
        #expect(run.stdout.contains("## 🔴 Vigil: 3 new failures"))
        #expect(!run.stdout.contains("demo-password") && !run.stderr.contains("demo-password"))
    }
}
