// AlertHeadline: the one sentence and the colour every channel opens an alert with, so WeCom, DingTalk,
// Feishu, Slack, e-mail subjects and webhook templates all say the same thing.

extension Alert {
    /// "2 new failures (down), 1 recovered, 3 still failing": it speaks of the whole state, not only of what
    /// changed (the headline is all a lock screen shows), and says what kind of failure is new.
    public var headline: String {
        let failing = outcomes(of: .newFailure)
        let recovered = count(of: .recovered)
        let still = count(of: .stillFailing)
        let others = still > 0 ? ", \(still) still failing" : ""
        switch reason {
        case .change where !failing.isEmpty:
            return "\(failing.count) new failure\(failing.count == 1 ? "" : "s") (\(Alert.kinds(failing)))"
                + (recovered > 0 ? ", \(recovered) recovered" : "") + others
        case .change: return "\(recovered) recovered" + others
        case .reminder: return "reminder: \(still) still failing"
        case .incomplete where stats.missingShards.isEmpty && !(stats.gaps ?? []).isEmpty:
            // "monitoring was blind from 10:01 to 10:04 (3 runs not recorded: disk full)"
            return stats.gaps![0]
        case .incomplete where stats.missingShards.isEmpty && !(stats.blind ?? []).isEmpty:
            // "monitoring blind: shard 1/1 (prober gw:41) was blind: 2 of 2 canaries failed (…)"
            return "monitoring blind: " + stats.blind![0]
        case .incomplete where stats.missingShards.isEmpty && !(stats.pool ?? []).isEmpty:
            // "Interface-pool/pay/new.yaml:3: … — it never loaded, so its interfaces are unknown and not probed …"
            return "monitoring incomplete: " + stats.pool![0]
        case .restored: return "monitoring complete again" + (still > 0 ? ", \(still) still failing" : "")
        case .incomplete:
            return "monitoring incomplete (\(stats.missingShards.count) shard\(stats.missingShards.count == 1 ? "" : "s") missing)"
        case .everyRun: return "\(stats.failed) failing in this run"
        }
    }

    /// "down", or "1 down, 2 answering errors" when the failures are of several kinds.
    public static func kinds(_ transitions: [Transition]) -> String { kinds(transitions.map(\.outcome)) }

    public static func kinds(_ outcomes: [Outcome]) -> String {
        let kinds = Set(outcomes.compactMap(\.kind))
        return kinds.count == 1 ? kinds.first!.label : FailureKind.counts(outcomes)
    }

    /// The alert's colour: red when something is newly down or answering errors (or fails in an every-run
    /// alert), orange for a reminder, an incomplete run, certificates to renew, or recoveries while others still
    /// fail; green only when nothing fails.
    public var tone: Tone {
        let newOutcomes = outcomes(of: .newFailure)
        let newFailures = newOutcomes.contains { $0.kind?.pages ?? true }
        let stillFailing = count(of: .stillFailing) > 0 || stats.failed > 0
        if newFailures || (reason == .everyRun && stats.failed > 0) { return .red }
        if severity == .warning || stillFailing || !newOutcomes.isEmpty { return .orange }
        return .green
    }

    public enum Tone: String, Sendable {
        case red, orange, green

        public var emoji: String {
            switch self {
            case .red: "🔴"
            case .orange: "🟠"
            case .green: "🟢"
            }
        }
    }
}
