// NotifierMetrics: delivery counters and the deferred backlog as a Prometheus textfile-collector file
// (spool/metrics/vigil-notifier-<host>.prom), rewritten after every pass.

import Foundation
import Shared

enum NotifierMetrics {
    static func write(_ d: Dispatcher) {
        let deferred = d.spool.deliveries.deferred
        let failed = d.spool.deliveries.failed
        let oldest = deferred.compactMap { RunFileName.run(of: $0).flatMap(RunID.date(of:)) }.min()
        var out = """
            # HELP vigil_notifier_delivered_total Deliveries accepted by a channel since the notifier started.
            # TYPE vigil_notifier_delivered_total counter
            vigil_notifier_delivered_total \(d.delivered)
            # HELP vigil_notifier_deferred_total Deliveries deferred since the notifier started.
            # TYPE vigil_notifier_deferred_total counter
            vigil_notifier_deferred_total \(d.deferredCount)
            # HELP vigil_notifier_failed_total Deliveries moved to outbox/failed/ since the notifier started.
            # TYPE vigil_notifier_failed_total counter
            vigil_notifier_failed_total \(d.failedCount)
            # HELP vigil_notifier_deferred Deliveries waiting in outbox/deferred/.
            # TYPE vigil_notifier_deferred gauge
            vigil_notifier_deferred \(deferred.count)
            # HELP vigil_notifier_failed Deliveries waiting for an operator in outbox/failed/.
            # TYPE vigil_notifier_failed gauge
            vigil_notifier_failed \(failed.count)

            """
        if let oldest {
            out += "# HELP vigil_notifier_deferred_oldest_age_seconds Age of the oldest deferred alert.\n"
            out += "# TYPE vigil_notifier_deferred_oldest_age_seconds gauge\n"
            out += "vigil_notifier_deferred_oldest_age_seconds \(Int(Date().timeIntervalSince(oldest)))\n"
        }
        out += ListingErrors.shared.metrics(program: "notifier")
        TextfileCollector.write(
            out, to: d.config.spool.metricsDirectory ?? d.spool.metricsDirectory,
            name: "vigil-notifier-\(SpoolName.host).prom")
    }
}
