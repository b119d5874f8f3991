// The proof suite: crash safety under random SIGKILLs of every program, a webhook outage across runs, and a
// grep of every spool file, log line and webhook payload for the deployment's secrets. The default variant
// keeps the suite fast; VIGIL_PROOF_LONG=1 runs the long one (more runs, more kills).

import Foundation
import Shared
import TestSupport
import Testing

private let long = ProcessInfo.processInfo.environment["VIGIL_PROOF_LONG"] != nil

@Suite("Proof", .serialized, .ownThread)
struct ProofTests {
    @Test("crash safety: random SIGKILLs of prober, analyzer and notifier lose nothing and duplicate no report")
    func crashSafety() throws {
        let runs = long ? 12 : 4
        let seed = UInt64(ProcessInfo.processInfo.environment["VIGIL_PROOF_SEED"] ?? "") ?? 20_261_122
        let h = try ProofHarness(interfaces: 1000, shards: 4)
        try h.startService("analyzer")
        try h.startService("notifier")
        var rng = SeededRandom(seed: seed)
        let stopChaos = ManagedFlag()
        let chaosSeed = rng.next()
        let chaos = Thread {
            var chaosRng = SeededRandom(seed: chaosSeed)
            while !stopChaos.value {
                usleep(UInt32(Double.random(in: 0.3..<1.5, using: &chaosRng) * 1_000_000))
                if stopChaos.value { break }
                try? h.killAndRestart(Bool.random(using: &chaosRng) ? "analyzer" : "notifier")
            }
        }
        chaos.start()
        for n in 1...runs { try h.performRun(n, rng: &rng, chaos: true) }
        stopChaos.value = true
        usleep(1_600_000)
        let settled = eventually(timeout: 90) { h.history().count == runs && h.settled }
        h.stopServices()
        #expect(settled, "every run reported and every alert delivered; history \(h.history().map(\.run)); left: \(h.unsettled)")

        // Every interface's result is in exactly one report per run.
        let history = h.history()
        #expect(history.map(\.run) == (1...runs).map(ProofHarness.runID), "one summary per run, each once")
        for summary in history {
            #expect(summary.stats.interfaces == 1000 && summary.stats.missingShards.isEmpty, "\(summary.run): \(summary.stats)")
            #expect(summary.stats.failed == 40, "\(summary.run): 40 of 1000 fail in every run")
        }
        #expect(FileIO.listIfPresent(h.spool.reportsDirectory).count == runs)
        // Every alert reached the receiver at least once and at most twice.
        let alerts = history.compactMap(\.alert)
        #expect(alerts.count == runs, "every run changed something, so every run alerted")
        var duplicates = 0
        for summary in history where summary.alert != nil {
            let copies = h.receivedMessages.filter { $0.contains(summary.run) }.count
            #expect(copies >= 1 && copies <= 2, "\(summary.run) arrived \(copies) times")
            duplicates += max(0, copies - 1)
        }
        #expect(h.settled, "nothing left in tmp/ or cur/, nothing waiting")
        let kills = h.kills
        print(
            "PROOF crash-safety seed=\(seed) runs=\(runs) interfaces=1000 kills prober=\(kills["prober"] ?? 0) "
                + "analyzer=\(kills["analyzer"] ?? 0) notifier=\(kills["notifier"] ?? 0) alerts=\(alerts.count) "
                + "received=\(h.receivedMessages.count) duplicates=\(duplicates)")
        #expect((kills["prober"] ?? 0) + (kills["analyzer"] ?? 0) + (kills["notifier"] ?? 0) > 0, "the chaos actually killed something")
        checkSecrets(h)
    }

    @Test("webhook outage across several runs: every alert arrives once it recovers, in order, none lost")
    func webhookOutage() throws {
        let runs = long ? 10 : 5
        let h = try ProofHarness(interfaces: 50, shards: 2)
        try h.startService("analyzer")
        try h.startService("notifier")
        h.setReceiverFailing(true)
        var rng = SeededRandom(seed: 7)
        for n in 1...runs {
            try h.performRun(n, rng: &rng, chaos: false)
            #expect(eventually(timeout: 20) { h.history().count == n })
        }
        #expect(
            eventually(timeout: 10) { FileIO.listIfPresent(h.spool.deferredDirectory).filter { $0.hasSuffix(".ndjson") }.count == runs },
            "all \(runs) alerts wait in deferred/ during the outage")
        #expect(h.receivedMessages.isEmpty)
        h.setReceiverFailing(false)
        #expect(eventually(timeout: 30) { h.receivedMessages.count == runs && h.settled })
        h.stopServices()
        let order = h.receivedMessages.compactMap { message in (1...runs).map(ProofHarness.runID).first { message.contains($0) } }
        #expect(order == (1...runs).map(ProofHarness.runID), "delivered in the order of the runs")
        print("PROOF webhook-outage runs=\(runs) deferred=\(runs) delivered=\(h.receivedMessages.count) in order")
        checkSecrets(h)
    }

    private func checkSecrets(_ h: ProofHarness) {
        #expect(!h.tokens.isEmpty, "tokens were issued, so the grep below means something")
        let spool = h.spoolText()
        let logs = h.logs.text
        let payloads = h.receivedMessages.joined(separator: "\n")
        for secret in h.secrets {
            #expect(!spool.contains(secret), "\(secret) found in a spool file")
            #expect(!logs.contains(secret), "\(secret) found in a log line")
            #expect(!payloads.contains(secret), "\(secret) found in a webhook payload")
        }
        #expect(spool.contains("Bearer ***"), "the masked Authorization header is what the spool shows")
    }
}
