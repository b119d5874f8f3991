// Routing: which channels get which part of an alert. Without routes every channel gets all of it. With
// routes, each interface of the alert goes to the channels of the first route that matches it, and of later
// matching routes while the matched ones say `continue`; interfaces no route matches go to the default
// channels (notify.default_channels, else the channels no route names). An alert about monitoring itself
// (an incomplete run, a blind gap) with nothing else in it goes to the default channels. A channel whose
// part is empty gets nothing: the pay team's robot never hears of the CMS team's failures.

import Shared

enum Routing {
    /// The console channel that takes what no route and no default channel takes.
    static let unrouted = "unrouted"

    /// (channel, the alert as that channel gets it), in channel order; channels with nothing to say are left out.
    static func parts(of alert: Alert, notify: NotifySettings, channels: [String]) -> [(String, Alert)] {
        guard !notify.routes.isEmpty else { return channels.map { ($0, alert) } }
        let defaults = notify.defaultChannels(among: channels)
        var byChannel: [String: [Transition]] = [:]
        for transition in alert.transitions {
            for channel in notify.channels(of: transition, severity: alert.severity, defaults: defaults)
            where channels.contains(channel) {
                byChannel[channel, default: []].append(transition)
            }
        }
        // Interfaces left out of a mass outage's alert are routed as their groups (service, change, outcome).
        var omittedByChannel: [String: [OmittedTransitions]] = [:]
        var omittedLeft: [OmittedTransitions] = []
        for group in alert.omitted ?? [] {
            let taken = notify.channels(of: group.representative, severity: alert.severity, defaults: defaults).filter(channels.contains)
            for channel in taken { omittedByChannel[channel, default: []].append(group) }
            if taken.isEmpty { omittedLeft.append(group) }
        }
        let nothingListed = alert.transitions.isEmpty && (alert.omitted ?? []).isEmpty
        var out: [(String, Alert)] = []
        for channel in channels {
            let transitions = byChannel[channel] ?? []
            let omitted = omittedByChannel[channel] ?? []
            guard !transitions.isEmpty || !omitted.isEmpty else {
                // Monitoring problems (missing shards, blind gaps) without interfaces: the operators' channels.
                if nothingListed, defaults.contains(channel) { out.append((channel, alert)) }
                continue
            }
            var part = alert
            part.transitions = transitions
            part.omitted = omitted.isEmpty ? nil : omitted
            // Recoveries alone do not page, whatever else the run had.
            if alert.reason == .change, part.count(of: .newFailure) == 0 { part.severity = .resolved }
            out.append((channel, part))
        }
        let routed = Set(byChannel.values.flatMap { $0.map(\.id) })
        let left = alert.transitions.filter { !routed.contains($0.id) }
        if !left.isEmpty || !omittedLeft.isEmpty {
            let count = left.count + omittedLeft.reduce(0) { $0 + $1.count }
            Log.warning("alert \(alert.id): no route and no default channel takes \(count) interface(s); printed, not delivered")
            var part = alert
            part.transitions = left
            part.omitted = omittedLeft.isEmpty ? nil : omittedLeft
            out.append((unrouted, part))
        }
        if nothingListed, out.isEmpty {
            // A monitoring problem (missing shards, a blind gap) and no default channel: printed, never dropped.
            Log.warning("alert \(alert.id) (\(alert.headline)): no default channel takes it; printed, not delivered")
            out.append((unrouted, alert))
        }
        return out
    }
}
