// Metrics: after each run, a Prometheus textfile-collector file (spool/metrics/vigil-analyzer-<host>.prom, or
// spool.metrics_dir) with per-interface up/latency/outcome and per-run totals, written to a temporary name
// and renamed so node_exporter never reads half a file.

import Foundation
import Shared

enum Metrics {
    /// The results whose per-interface series are written (metrics.per_interface): all; only the failing ones
    /// (a healthy interface has no series: alert on `vigil_run_interfaces{result="failed"}` and on the failing
    /// ones); none; or, by default, all up to metrics.per_interface_limit interfaces and the failing ones beyond.
    static func selected(_ results: [ProbeResult], _ settings: MetricsSettings) -> [ProbeResult] {
        switch settings.perInterface {
        case .all: return results
        case .none: return []
        case .failing: return results.filter { $0.outcome != .ok }
        case .auto: return results.count <= settings.perInterfaceLimit ? results : results.filter { $0.outcome != .ok }
        }
    }

    static func write(_ a: RunAnalysis, spool: Spool, directory: String?, settings: MetricsSettings = MetricsSettings()) {
        var out = ""
        let results = selected(a.results, settings)
        out.reserveCapacity(results.count * 300 + 4096)
        func header(_ name: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n" }
        let labelSets = results.map(labels)

        header("vigil_interface_up", "1 if the interface answered as expected in the last run, 0 if it failed or was not probed (circuit open).")
        for (r, l) in zip(results, labelSets) {
            out += "vigil_interface_up{" + l + "} " + (r.outcome == .ok ? "1" : "0") + "\n"
        }
        header("vigil_interface_probed", "1 if the interface was probed in the last run, 0 if its circuit was open.")
        for (r, l) in zip(results, labelSets) {
            out += "vigil_interface_probed{" + l + "} " + (r.outcome == .skipped ? "0" : "1") + "\n"
        }
        header("vigil_interface_latency_seconds", "Latency of the last answer.")
        for (r, l) in zip(results, labelSets) where r.status != nil {
            if let ms = r.latencyMs { out += "vigil_interface_latency_seconds{" + l + "} " + String(ms / 1000) + "\n" }
        }
        header("vigil_interface_outcome", "1 for the outcome class of the last probe.")
        for (r, l) in zip(results, labelSets) {
            out += "vigil_interface_outcome{" + l + ",outcome=\"" + r.outcome.rawValue + "\"} 1\n"
        }
        header("vigil_interface_cert_expiry_timestamp_seconds", "Earliest expiry in the server's certificate chain (HTTPS).")
        for (r, l) in zip(results, labelSets) {
            if let expiry = r.tls?.earliestNotAfter ?? r.tls?.notAfter {
                out += "vigil_interface_cert_expiry_timestamp_seconds{" + l + "} " + String(Int(expiry.timeIntervalSince1970)) + "\n"
            }
        }
        // Phases per run, not per interface: five series whatever the pool's size.
        let timed = a.results.compactMap(\.timings)
        if !timed.isEmpty {
            header("vigil_run_phase_seconds", "95th percentile of the time to reach each phase of a transfer in the last run.")
            for (phase, value) in [
                ("dns", \PhaseTimings.dns), ("connect", \.connect), ("tls", \.tls), ("first_byte", \.firstByte),
                ("total", \.total),
            ] as [(String, KeyPath<PhaseTimings, Double>)] {
                let sorted = timed.map { $0[keyPath: value] }.sorted()
                let p95 = sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
                out += "vigil_run_phase_seconds{phase=\"\(phase)\",quantile=\"0.95\"} \(p95 / 1000)\n"
            }
        }
        let s = a.stats
        header("vigil_run_interfaces", "Interfaces in the last run by result.")
        out += "vigil_run_interfaces{result=\"ok\"} \(s.ok)\nvigil_run_interfaces{result=\"failed\"} \(s.failed)\n"
        out += "vigil_run_interfaces{result=\"not_probed\"} \(s.skipped)\n"
        header("vigil_run_success_ratio", "ok / interfaces in the last run (an interface not probed, circuit open, counts as failing).")
        out += "vigil_run_success_ratio \(s.interfaces == 0 ? 1 : Double(s.ok) / Double(s.interfaces))\n"
        header("vigil_run_duration_seconds", "Duration of the last run.")
        out += "vigil_run_duration_seconds \(s.finishedAt.timeIntervalSince(s.startedAt))\n"
        header("vigil_run_missing_shards", "Shards without results in the last run.")
        out += "vigil_run_missing_shards \(s.missingShards.count)\n"
        header("vigil_run_quarantined_lines", "Result lines quarantined in the last run.")
        out += "vigil_run_quarantined_lines \(s.quarantinedLines)\n"
        header("vigil_run_last_finished_timestamp_seconds", "When the last reported run finished.")
        out += "vigil_run_last_finished_timestamp_seconds \(Int(s.finishedAt.timeIntervalSince1970))\n"
        TextfileCollector.write(out, to: directory ?? spool.metricsDirectory, name: "vigil-analyzer-\(SpoolName.host).prom")
    }

    private static func labels(_ r: ProbeResult) -> String {
        "id=\"" + escape(r.id) + "\",service=\"" + escape(r.service) + "\",name=\"" + escape(r.name) + "\""
    }

    /// Label values escape `\`, `"` and newlines (text format 0.0.4); most need nothing.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 92 || $0 == 34 || $0 == 10 }) else { return text }
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
