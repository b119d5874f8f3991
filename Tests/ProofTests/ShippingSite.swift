// ShippingSite and CentralConsumer: the two ends of the shipping tests — a location's spool with the original of
// every file made, the central spool reached through LoopbackSSHD, deploy/vigil-ship started between them in a
// process group of its own, and a consumer that claims from the central new/ as the analyzer does.

import Foundation
import Shared
import Synchronization
import TestSupport

private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A location's local spool, the central spool, the original of every file made, and the shipper between them.
/// Unchecked Sendable: `shipped` and `sequence` change only in `add`, called by the test's own task before it
/// reads them; the shipper processes it starts only read the files.
final class ShippingSite: @unchecked Sendable {
    let dir = TemporaryDirectory("ship")
    let local: Spool
    let central: Spool
    let originals: String
    let sshd: LoopbackSSHD
    /// Every line the shippers printed.
    let shipperLog = LineCollector()
    /// Every file made: name → size.
    private(set) var shipped: [String: Int] = [:]
    private var sequence = 0
    private let epoch = Int(Date().timeIntervalSince1970)

    init(sshd: LoopbackSSHD, central permissions: SpoolPermissions = .private) throws {
        self.sshd = sshd
        local = Spool(root: dir.url("local"))
        central = Spool(root: dir.url("central"), permissions: permissions)
        originals = dir.url("originals")
        try local.prepare()
        try central.prepare()
        for queue in ["runs", "results"] { try FileIO.makeDirectory(originals + "/" + queue, mode: 0o700) }
    }

    /// A path under the central spool's incoming/bj/.
    func incoming(_ relative: String) -> String { central.root + "/incoming/bj/" + relative }

    /// The files waiting in the location's new/ directories.
    var localFiles: [String] {
        [local.runs.newDirectory, local.results.newDirectory].flatMap { dir in FileIO.listIfPresent(dir).map { dir + "/" + $0 } }
    }

    /// Publishes into the local spool `manifests` run manifests, `batches` batches of 2–32 KB and `large` of 40 MiB.
    func add(manifests: Int, batches: Int, large: Int) throws {
        for _ in 0..<manifests {
            sequence += 1
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let run = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch + 60 * sequence))) + "-tick"
            try make(queue: "runs", name: run + ".run.ndjson", size: 300)
        }
        for k in 0..<(batches + large) {
            sequence += 1
            let name = "\(epoch + sequence).\(100_000 + sequence).far-host.prober-\(1000 + sequence).\(sequence).ndjson"
            try make(queue: "results", name: name, size: k < batches ? 2_000 + (sequence * 7919) % 30_000 : 40 << 20)
        }
    }

    private func make(queue: String, name: String, size: Int) throws {
        let path = originals + "/" + queue + "/" + name
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL)
        defer { close(fd) }
        let filler = [UInt8](repeating: UInt8(ascii: "a") + UInt8(sequence % 26), count: 65_536)
        var written = 0
        var block = 0
        while written < size {
            // Every block says where it is, so a file cut or spliced anywhere differs from its original.
            let head = Array("{\"v\":1,\"kind\":\"result\",\"file\":\"\(name)\",\"block\":\(block)}\n".utf8)
            let chunk = head + filler.prefix(max(0, min(filler.count, size - written - head.count - 1))) + [10]
            try FileIO.writeAll(fd, chunk, path: path)
            written += chunk.count
            block += 1
        }
        try FileIO.link(path, (queue == "runs" ? local.runs : local.results).newDirectory + "/" + name)
        shipped[name] = written
    }

    /// Starts deploy/vigil-ship in a process group of its own (what systemd kills as one), as the timer would.
    func startShipper(log extra: LineCollector? = nil) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_SHIP_SSH"] = sshd.sshCommand
        environment["VIGIL_SHIP_TIMEOUT"] = "30"
        let log = shipperLog
        let child = try ChildProcess(
            executable: "/usr/bin/setsid",
            arguments: ["/bin/sh", repository + "/deploy/vigil-ship", "--spool", local.root, "--location", "bj", sshd.login + ":" + central.root],
            environment: environment, stdout: .lines { log.append($0) },
            stderr: .lines {
                log.append($0)
                extra?.append($0)
            })
        _ = eventually(timeout: 10) { getpgid(child.pid) == child.pid || child.termination != nil }
        return child
    }

    /// Runs the shipper to its end (at most five minutes); its stderr is this run's.
    func ship() throws -> ProgramRun {
        let lines = LineCollector()
        let child = try startShipper(log: lines)
        guard let ended = child.wait(timeout: 300) else {
            kill(-child.pid, SIGKILL)
            return ProgramRun(termination: child.wait(), stdout: "", stderr: lines.text + "\n[killed after 300 s]")
        }
        return ProgramRun(termination: ended, stdout: "", stderr: lines.text)
    }
}

/// A consumer of the central spool, as the analyzer is: it claims whatever appears in runs/new and results/new
/// (the Queue API: hidden names are never listed), compares each claim with its original, and acks it.
final class CentralConsumer: Sendable {
    struct Seen: Sendable {
        var counts: [String: Int] = [:]
        var damaged: [String] = []
    }
    private let spool: Spool
    private let originals: String
    private let state = Mutex<(seen: Seen, stop: Bool, done: Bool)>((Seen(), false, false))

    init(spool: Spool, originals: String) {
        self.spool = spool
        self.originals = originals
    }

    var taken: Int { state.withLock { $0.seen.counts.values.reduce(0, +) } }
    var result: Seen { state.withLock { $0.seen } }

    func start() { Thread.detachNewThread { self.loop() } }

    func stop() {
        state.withLock { $0.stop = true }
        _ = eventually(timeout: 60) { state.withLock { $0.done } }
    }

    private func loop() {
        while !state.withLock({ $0.stop }) {
            var took = false
            for (queue, label) in [(spool.runs, "runs"), (spool.results, "results")] {
                for name in queue.pending() {
                    guard let claim = try? queue.claim(name) else { continue }
                    took = true
                    let whole = Self.same(claim.path, originals + "/" + label + "/" + name)
                    state.withLock {
                        $0.seen.counts[name, default: 0] += 1
                        if !whole { $0.seen.damaged.append(name) }
                    }
                    try? queue.ack(claim)
                }
            }
            // The scan interval of a polling consumer (the analyzer's rescan, shortened).
            if !took { usleep(2_000) }
        }
        state.withLock { $0.done = true }
    }

    private static func same(_ a: String, _ b: String) -> Bool {
        guard let x = try? FileIO.read(a), let y = try? FileIO.read(b), x.count == y.count else { return false }
        return x.withUnsafeBytes { p in y.withUnsafeBytes { q in memcmp(p.baseAddress!, q.baseAddress!, x.count) == 0 } }
    }
}
