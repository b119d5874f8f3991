// PoolSelection: this shard's part of a pool snapshot — the definitions to probe (packed, as a prober holds
// them), and the interfaces of broken files (from their last good version) as `not_loaded` results carrying the
// file:line and reason, so an interface file saved broken costs only its own interfaces and says why.

import Foundation
import Shared

struct PoolSelection {
    let snapshot: PoolSnapshot
    let spool: Spool
    let config: Config
    let shard: Shard
    let only: [String]
    /// This prober's location: it probes the interfaces of the services assigned to it (nil: every one).
    var location: String? = nil

    private var directory: String { PoolSnapshot.directory(snapshot.id, in: spool) }

    /// Whether this prober probes `definition`: enabled, in the shard, and under an `--only` prefix.
    private func keeps(_ definition: InterfaceDefinition) -> Bool {
        definition.enabled && shard.contains(id: definition.id) && (only.isEmpty || only.contains { definition.id.hasPrefix($0) })
            && atThisLocation(definition.service)
    }

    /// Whether this location probes `service` (services.<name>.locations).
    private func atThisLocation(_ service: String) -> Bool {
        guard let location, let locations = config.locations else { return true }
        return locations.of(config.services[service]).names.contains(location)
    }

    /// The definitions to probe (only this shard's are read, checked and held) and how many the snapshot has.
    func probed() throws -> (definitions: PackedDefinitions, read: Int) {
        try InterfacePool.loadPacked(
            config: config, from: (directory + "/files", snapshot.displayRoot), reading: { shard.contains(id: $0) }, keep: keeps)
    }

    /// A `not_loaded` result for each of this shard's interfaces whose file is broken (as its last good version
    /// defined them); empty when no broken file was ever good.
    func notLoaded(run: String) -> [ProbeResult] {
        let reasons = Dictionary(snapshot.broken.map { (snapshot.displayRoot + "/" + $0.file, $0.reason) }) { a, _ in a }
        guard snapshot.broken.contains(where: { $0.held != nil }) else { return [] }
        var results: [ProbeResult] = []
        let now = Date()
        do {
            _ = try InterfacePool.loadTolerant(
                config: config, from: (directory + "/held", snapshot.displayRoot),
                each: { definition in
                    guard keeps(definition), let reason = reasons[definition.sourceFile] else { return }
                    var result = ProbeResult(
                        run: run, shard: shard, id: definition.id, service: definition.service, name: definition.name,
                        method: definition.method, url: RequestBuilder.resolve(definition.url, service: config.services[definition.service]),
                        outcome: .notLoaded, attempts: 0, startedAt: now)
                    result.error = "not probed: " + reason
                    result.location = location
                    result.failureThreshold = definition.failureThreshold
                    result.successThreshold = definition.successThreshold
                    results.append(result)
                }, broken: { _ in })
        } catch {
            Log.warning("cannot read the last good versions of the broken interface files: \(error)")
        }
        return results
    }
}
