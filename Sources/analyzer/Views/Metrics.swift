// Metrics: after each run, a Prometheus textfile-collector file (spool/metrics/vigil-analyzer-<host>.prom, or
// spool.metrics_dir) with per-interface up/latency/outcome and per-run totals, written to a temporary name
// and renamed so node_exporter never reads half a file.

import Foundation
import Shared

/// The per-interface series of a run, written family by family into scratch files while the run streams
/// (never the whole file in memory), then put together under their headers with the run's totals.
final class MetricsStream {
    private let settings: MetricsSettings
    /// How many results the batches announce (for `auto`: all of them up to the limit, else the failing).
    private let announced: Int
    private var families: [SpillFile] = []
    let directory: String

    init(settings: MetricsSettings, announced: Int, directory: String) throws {
        self.settings = settings
        self.announced = announced
        self.directory = directory
        try FileIO.makeDirectory(directory, mode: 0o750)
        if settings.perInterface != .none {
            families = try (0..<5).map { _ in try SpillFile(directory: directory) }
        }
    }

    /// Whether a result gets per-interface series (metrics.per_interface): all; only the failing ones (a
    /// healthy interface has no series: alert on `vigil_run_interfaces{result="failed"}` and on the failing
    /// ones); none; or, by default, all up to metrics.per_interface_limit interfaces and the failing ones beyond.
    private func selected(_ r: ProbeResult) -> Bool {
        switch settings.perInterface {
        case .all: true
        case .none: false
        case .failing: r.outcome != .ok
        case .auto: announced <= settings.perInterfaceLimit || r.outcome != .ok
        }
    }

    func add(_ r: ProbeResult) throws {
        guard !families.isEmpty, selected(r) else { return }
        let l = Metrics.labels(r)
        try families[0].write("vigil_interface_up{" + l + "} " + (r.outcome == .ok ? "1" : "0") + "\n")
        try families[1].write("vigil_interface_probed{" + l + "} " + (r.outcome == .skipped || r.outcome == .notLoaded ? "0" : "1") + "\n")
        if r.status != nil, let ms = r.latencyMs { try families[2].write("vigil_interface_latency_seconds{" + l + "} " + String(ms / 1000) + "\n") }
        try families[3].write("vigil_interface_outcome{" + l + ",outcome=\"" + r.outcome.rawValue + "\"} 1\n")
        if let expiry = r.tls?.earliestNotAfter ?? r.tls?.notAfter {
            try families[4].write("vigil_interface_cert_expiry_timestamp_seconds{" + l + "} " + String(Int(expiry.timeIntervalSince1970)) + "\n")
        }
    }

    /// Writes spool/metrics/vigil-analyzer-<host>.prom (or metrics_dir); a failure is logged, never fatal.
    func write(_ a: RunAnalysis) {
        let name = "vigil-analyzer-\(SpoolName.host).prom"
        do {
            let out = try AtomicFileWriter(path: directory + "/" + name, mode: 0o640)
            func header(_ name: String, _ help: String) throws { try out.write("# HELP \(name) \(help)\n# TYPE \(name) gauge\n") }
            let helps = [
                ("vigil_interface_up", "1 if the interface answered as expected in the last run, 0 if it failed or was not probed."),
                ("vigil_interface_probed", "1 if the interface was probed in the last run (an open circuit probes it once), 0 if not."),
                ("vigil_interface_latency_seconds", "Latency of the last answer."),
                ("vigil_interface_outcome", "1 for the outcome class of the last probe."),
                ("vigil_interface_cert_expiry_timestamp_seconds", "Earliest expiry in the server's certificate chain (HTTPS)."),
            ]
            for (i, (family, help)) in helps.enumerated() {
                try header(family, help)
                if i < families.count { try families[i].copy(into: out) }
            }
            // Phases per run, not per interface: five series whatever the pool's size.
            if !a.phaseP95.isEmpty {
                // A gauge, so no `quantile` label (promtool: that label belongs to summaries): the p95 is in the name.
                try header("vigil_run_phase_p95_seconds", "95th percentile of the time to reach each phase of a transfer in the last run.")
                for (phase, p95) in a.phaseP95 { try out.write("vigil_run_phase_p95_seconds{phase=\"\(phase)\"} \(p95 / 1000)\n") }
            }
            let s = a.stats
            var tail = ""
            func section(_ name: String, _ help: String) { tail += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n" }
            section("vigil_run_interfaces", "Interfaces in the last run by result.")
            tail += "vigil_run_interfaces{result=\"ok\"} \(s.ok)\nvigil_run_interfaces{result=\"failed\"} \(s.failed)\n"
            tail += "vigil_run_interfaces{result=\"not_probed\"} \(s.skipped)\n"
            // Several locations: interfaces failing from fewer locations than the quorum (not paged); blind shards.
            if a.locationNames != nil { tail += "vigil_run_interfaces{result=\"degraded\"} \(a.degraded.count)\n" }
            if a.locationNames != nil || a.isBlind {
                section("vigil_run_blind_shards", "Shards whose prober could not reach its canaries or targets in the last run (nothing judged).")
                tail += "vigil_run_blind_shards \(a.blindShards.count)\n"
            }
            section(
                "vigil_run_success_ratio", "ok / interfaces in the last run (an interface not probed counts as failing); NaN when nothing was probed."
            )
            tail += "vigil_run_success_ratio \(s.interfaces == 0 ? "NaN" : String(Double(s.ok) / Double(s.interfaces)))\n"
            section("vigil_run_duration_seconds", "Duration of the last run.")
            tail += "vigil_run_duration_seconds \(s.finishedAt.timeIntervalSince(s.startedAt))\n"
            section("vigil_run_missing_shards", "Shards without results in the last run.")
            tail += "vigil_run_missing_shards \(s.missingShards.count)\n"
            section("vigil_run_quarantined_lines", "Result lines quarantined in the last run.")
            tail += "vigil_run_quarantined_lines \(s.quarantinedLines)\n"
            section("vigil_run_last_finished_timestamp_seconds", "When the last reported run finished.")
            tail += "vigil_run_last_finished_timestamp_seconds \(Int(s.finishedAt.timeIntervalSince1970))\n"
            tail += ListingErrors.shared.metrics(program: "analyzer")
            try out.write(tail)
            try out.commit()
        } catch {
            Log.warning("cannot write metrics to \(directory)/\(name): \(error)")
        }
    }
}

enum Metrics {
    static func labels(_ r: ProbeResult) -> String {
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
