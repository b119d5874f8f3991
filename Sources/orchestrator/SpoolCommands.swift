// SpoolCommands: inspect and repair the spool the way postqueue, postcat and postsuper do for Postfix.
// `ls` lists files per queue with age and size (or JSON lines), `show` prints a file's records readably,
// `requeue` gives quarantined files back to their queue and makes deferred or failed alerts due, `purge`
// deletes — only with --yes. All of them are renames, utime calls or unlinks: safe while the services run.
// What they print has its control characters escaped (TerminalText): spool files quote response bodies.

import Foundation
import Shared

enum SpoolCommands {
    /// (queue label, directory) pairs in display order. The notifier's rooms are under `outbox/`, so that
    /// `spool ls outbox` shows an alert wherever it waits.
    static func places(_ spool: Spool) -> [(String, String)] {
        var out: [(String, String)] = []
        for queue in [spool.runs, spool.results, spool.outbox] {
            out += [("\(queue.name)/new", queue.newDirectory), ("\(queue.name)/cur", queue.curDirectory), ("\(queue.name)/tmp", queue.tmpDirectory)]
        }
        out += [
            ("outbox/deferred", spool.deferredDirectory), ("outbox/failed", spool.failedDirectory), ("outbox/sent", spool.sentDirectory),
            ("quarantine", spool.quarantineDirectory), ("archive", spool.archiveDirectory), ("reports", spool.reportsDirectory),
        ]
        return out
    }

    /// Whether the place labelled `label` is (in) `queue`: `outbox` takes every room of the outbox, and the rooms
    /// keep their short names (`deferred`, `failed`, `sent`).
    static func label(_ label: String, isIn queue: String) -> Bool {
        label == queue || label.hasPrefix(queue + "/") || label == "outbox/" + queue
    }

    static func run(_ action: SpoolAction, _ options: Options) -> Int32 {
        guard let deployment = Deployment.loadOrReport(options, needsPool: false) else { return 2 }
        let spool = deployment.spool
        if Startup.spoolIsMissing(spool) { return 1 }
        switch action {
        case let .list(queue, json): return list(spool, queue: queue, json: json)
        case let .show(name): return show(spool, name)
        case let .requeue(names, queue): return requeue(spool, names: names, queue: queue)
        case let .purge(names, queue, confirmed): return purge(spool, names: names, queue: queue, confirmed: confirmed)
        }
    }

    private static func list(_ spool: Spool, queue: String?, json: Bool) -> Int32 {
        let selected = places(spool).filter { place in queue.map { label(place.0, isIn: $0) } ?? true }
        guard !selected.isEmpty else {
            Log.error("unknown queue \"\(queue ?? "")\"; expected one of \(places(spool).map(\.0).joined(separator: ", ")), runs, results, outbox")
            return 2
        }
        let now = Date()
        var out = json ? "" : "QUEUE            AGE              SIZE       NAME\n"
        var listed = 0
        for (label, dir) in selected {
            for name in FileIO.listIfPresent(dir) {
                guard let st = FileIO.status(dir + "/" + name), (st.st_mode & S_IFMT) == S_IFREG else { continue }
                let age = now.timeIntervalSince(st.modificationDate)
                listed += 1
                if json {
                    var w = JSONWriter()
                    w.field("queue", label)
                    w.field("name", name)
                    w.field("size", Int(st.st_size))
                    w.field("mtime", st.modificationDate)
                    if dir == spool.deferredDirectory { w.field("next_attempt", st.modificationDate) }
                    out += String(decoding: w.finish(), as: UTF8.self) + "\n"
                } else {
                    let when =
                        dir == spool.deferredDirectory
                        ? (age < 0 ? "due in \(DurationParser.format(-age))" : "due now")
                        : "\(DurationParser.format(max(0, age))) ago"
                    out +=
                        "\(label.padding(toLength: 16, withPad: " ", startingAt: 0)) \(when.padding(toLength: 16, withPad: " ", startingAt: 0)) "
                        + "\(ByteCount.format(UInt64(st.st_size)).padding(toLength: 10, withPad: " ", startingAt: 0)) \(name)\n"
                }
            }
        }
        if listed == 0, !json { out += "(empty)\n" }
        print(TerminalText.escape(out), terminator: "")
        return 0
    }

    /// The path of `name`: a path as given, else the file of that name (or claimed under it) in any queue, and
    /// with `state`, also in state/ and state/history/ (for `show`: `spool show interfaces.ndjson`).
    static func locate(_ spool: Spool, _ name: String, state: Bool = false) -> String? {
        if name.contains("/"), FileIO.status(name) != nil { return name }
        let stateRooms = state ? [("state", spool.stateDirectory), ("state/history", spool.stateDirectory + "/history")] : []
        for (_, dir) in places(spool) + stateRooms {
            if let match = FileIO.listIfPresent(dir).first(where: { $0 == name || $0.hasPrefix(name + "~") }) { return dir + "/" + match }
        }
        return nil
    }

    private static func show(_ spool: Spool, _ name: String) -> Int32 {
        guard let path = locate(spool, name, state: true) else {
            Log.error("no file named \(name) in the spool's queues or state (try `orchestrator spool ls`)")
            return 1
        }
        guard let reader = try? LineReader(path: path) else {
            Log.error("cannot read \(path)")
            return 1
        }
        var out = "== \(path)\n"
        if path.hasSuffix(".md") || path.hasSuffix(".reason") {
            out += (try? FileIO.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            print(TerminalText.escape(out), terminator: "")
            return 0
        }
        while let line = try? reader.next() {
            guard let node = try? JSONDocument.parse(String(decoding: line.bytes, as: UTF8.self)) else {
                out += "-- line \(line.number): not a JSON record: \(String(line.text.prefix(300)))\n"
                continue
            }
            // Members in the record's own order (v and kind first); an alert's report is Markdown, shown as such.
            let report = node["kind"]?.scalar == "alert" ? node["report"]?.scalar : nil
            out += "-- line \(line.number)\n"
            pretty(node, indent: "", into: &out, elide: report == nil ? nil : "report")
            out += "\n"
            if let report { out += "-- report (Markdown)\n" + report + (report.hasSuffix("\n") ? "" : "\n") }
        }
        print(TerminalText.escape(out), terminator: "")
        return 0
    }

    /// Indented JSON of `node`, members in file order; the member named `elide` is shown as a pointer.
    private static func pretty(_ node: Node, indent: String, into out: inout String, elide: String? = nil) {
        switch node.value {
        case let .scalar(text, style):
            if style == .quoted { JSONValue.quote(text, into: &out) } else { out += text }
        case let .sequence(items):
            guard !items.isEmpty else {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += indent + "  "
                pretty(item, indent: indent + "  ", into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case let .mapping(entries):
            guard !entries.isEmpty else {
                out += "{}"
                return
            }
            out += "{\n"
            for (i, entry) in entries.enumerated() {
                out += indent + "  "
                JSONValue.quote(entry.key, into: &out)
                out += ": "
                if entry.key == elide { out += "\"(below, as Markdown)\"" } else { pretty(entry.value, indent: indent + "  ", into: &out) }
                out += i == entries.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    /// The files requeue and purge act on: only inside the spool (a path elsewhere is refused, never touched).
    private static func selection(_ spool: Spool, names: [String], queue: String?) -> [String] {
        if let queue, let dir = places(spool).first(where: { $0.0 == queue || $0.0 == "outbox/" + queue })?.1 {
            return FileIO.listIfPresent(dir).filter { !$0.hasSuffix(".reason") }.map { dir + "/" + $0 }
        }
        let root = (spool.root as NSString).standardizingPath + "/"
        return names.compactMap { name in
            guard let path = locate(spool, name) else { return nil }
            let absolute = Paths.resolve(path, against: FileManager.default.currentDirectoryPath)
            guard absolute.hasPrefix(root) else {
                Log.error("\(name) is outside the spool \(spool.root): not touched")
                return nil
            }
            return absolute
        }
    }

    /// The live process on this host that is still writing a tmp file (its name carries host and pid).
    static func liveWriter(of path: String) -> Int32? {
        guard (path as NSString).deletingLastPathComponent.hasSuffix("/tmp"),
            let writer = SpoolName.tmpWriter(of: (path as NSString).lastPathComponent), writer.host == SpoolName.host,
            FileIO.processExists(writer.pid)
        else { return nil }
        return writer.pid
    }

    private static func requeue(_ spool: Spool, names: [String], queue: String?) -> Int32 {
        let paths = selection(spool, names: names, queue: queue)
        guard !paths.isEmpty else {
            Log.error("nothing to requeue")
            return 1
        }
        var moved = 0
        for path in paths {
            let dir = (path as NSString).deletingLastPathComponent
            let name = (path as NSString).lastPathComponent
            do {
                switch dir {
                case spool.quarantineDirectory:
                    guard !name.hasSuffix(".lines.ndjson") else {
                        print("\(name): quarantined lines cannot go back into a queue; fix and republish them by hand")
                        continue
                    }
                    let target = name.contains(".alert") ? spool.outbox : name.hasSuffix(".run.ndjson") ? spool.runs : spool.results
                    try FileIO.link(path, target.newDirectory + "/" + name)
                    try FileIO.unlink(path)
                    try? FileIO.unlink(path + ".reason")
                    print("\(name) → \(target.name)/new/")
                // The same path as `notifier replay`: the Outbox's rule.
                case spool.failedDirectory:
                    guard try spool.deliveries.restore(name) else { continue }
                    print("\(name) → deferred/ (due now)")
                case spool.deferredDirectory:
                    try spool.deliveries.makeDue(name)
                    print("\(name): due now")
                default:
                    print("\(name): only quarantined, failed and deferred files can be requeued")
                    continue
                }
                moved += 1
            } catch {
                Log.error("\(name): \(error)")
            }
        }
        return moved > 0 ? 0 : 1
    }

    private static func purge(_ spool: Spool, names: [String], queue: String?, confirmed: Bool) -> Int32 {
        let paths = selection(spool, names: names, queue: queue)
        guard !paths.isEmpty else {
            Log.error("nothing to purge")
            return 1
        }
        guard confirmed else {
            print("would delete \(paths.count) file(s):")
            for path in paths { print("  \(path)") }
            print("add --yes to delete them")
            return 1
        }
        for path in paths {
            if let pid = liveWriter(of: path) {
                print("kept \(path): process \(pid) is still writing it")
                continue
            }
            try? FileIO.unlink(path)
            try? FileIO.unlink(path + ".reason")
            print("deleted \(path)")
        }
        return 0
    }
}
