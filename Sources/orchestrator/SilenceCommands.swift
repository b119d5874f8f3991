// SilenceCommands: `orchestrator silence add|ls|rm`. A silence is one JSON line in state/silences/<id>.json,
// written atomically; the analyzer reads them at each run. Adding one for something no interface matches is
// refused (a typo would otherwise silence nothing and be believed). Needs no secret; times in notify.timezone.

import Foundation
import Shared

enum SilenceCommands {
    static func run(_ action: SilenceAction, _ options: Options) -> Int32 {
        // Only `add` resolves what it silences against the pool.
        let adds = if case .add = action { true } else { false }
        guard let deployment = Deployment.loadOrReport(options, needsPool: adds) else { return 2 }
        let clock = LocalClock(timeZone: deployment.config.notify.timeZone)
        let directory = deployment.spool.stateDirectory + "/silences"
        switch action {
        case let .add(match, duration, reason, by):
            let ids = deployment.pool.interfaces.filter {
                Silence(id: "", match: match, createdAt: .distantPast, until: .distantFuture, reason: "", by: nil)
                    .covers(id: $0.id, service: $0.service)
            }.map(\.id)
            guard !ids.isEmpty else {
                FileHandle.standardError.write(Data("silence add: \"\(match)\" matches no interface id, service or glob of the pool\n".utf8))
                return 2
            }
            let now = Date()
            // Unique without coordination, sortable by creation: s-<unixsec>-<host>-<pid>-<seq>.
            let id = "s-\(Int(now.timeIntervalSince1970))-\(SpoolName.host)-\(getpid())-\(SpoolName.nextSequence())"
            let silence = Silence(id: id, match: match, createdAt: now, until: now.addingTimeInterval(duration), reason: reason, by: by)
            do {
                try FileIO.makeDirectory(directory, mode: deployment.spool.permissions.directoryMode)
                try FileIO.replaceAtomically(
                    directory + "/" + id + ".json", with: try RecordCoding.encode(silence) + [10],
                    mode: deployment.spool.permissions.fileMode)
            } catch {
                FileHandle.standardError.write(Data("silence add: cannot write \(directory): \(error)\n".utf8))
                return 1
            }
            print("\(id): \(match) silenced until \(clock.format(silence.until)) (\(ids.count) interface(s)): \(reason)")
            return 0
        case .list:
            let now = Date()
            let silences = Silence.load(directory)
            if silences.isEmpty { print("no silences") }
            for s in silences {
                let state = s.isActive(at: now) ? "active" : (now < s.createdAt ? "future" : "expired")
                print("\(s.id)  \(state)  \(s.match)  until \(clock.format(s.until))  \(s.reason)" + (s.by.map { "  by \($0)" } ?? ""))
            }
            return 0
        case let .remove(id):
            let path = directory + "/" + id + ".json"
            guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" }), FileIO.status(path) != nil else {
                FileHandle.standardError.write(Data("silence rm: no silence \(id) (see silence ls)\n".utf8))
                return 2
            }
            do {
                try FileIO.unlink(path)
            } catch {
                FileHandle.standardError.write(Data("silence rm: \(error)\n".utf8))
                return 1
            }
            print("\(id) removed: the next run alerts what it silenced, if still failing")
            return 0
        }
    }
}
