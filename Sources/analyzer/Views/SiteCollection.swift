// SiteCollection: what the status site keeps of a run while RunPass streams it — the interfaces it shows in full
// (bounded by web.interface_pages_limit) and every service's totals — for SiteWriter to render once the run is
// committed.

import Foundation
import Shared

/// What the status site needs of a run: the interfaces it shows in full (all of them up to
/// web.interface_pages_limit; past it, those failing or with incidents) and every service's totals.
struct SiteCollection {
    struct Entry {
        let recent: InterfaceRecent
        let today: InterfaceDay?
        let status: InterfaceStatus?
        let quiet: String?
    }
    struct ServiceTotals {
        var interfaces = 0
        var failing = 0
        var uptime24hSum = 0.0
        var uptime24hCount = 0
    }

    let settings: WebSettings
    let hour: Int
    /// recent.ndjson's runs (oldest first), for the charts' labels.
    var runs: [String] = []
    /// Ids with incidents in the history (they keep a page).
    let withIncidents: Set<String>
    private(set) var entries: [Entry] = []
    private(set) var services: [String: ServiceTotals] = [:]
    private(set) var count = 0
    /// Interfaces failing now, kept or not.
    private(set) var failing = 0
    /// Whether healthy interfaces were left out (past the limit).
    private(set) var partial = false

    init(settings: WebSettings, hour: Int, withIncidents: Set<String>) {
        self.settings = settings
        self.hour = hour
        self.withIncidents = withIncidents
        partial = settings.interfacePages == .failing
    }

    /// Counts an interface, and keeps it if the site shows it in full.
    mutating func add(recent: consuming InterfaceRecent, today: consuming InterfaceDay?, status: consuming InterfaceStatus?, quiet: String?) {
        count += 1
        let failing = status?.health == .failing
        if failing { self.failing += 1 }
        let up = recent.uptime24h(at: hour)
        services[recent.service, default: ServiceTotals()].record(failing: failing, uptime24h: up)
        if !partial, settings.interfacePages == .auto, count > settings.interfacePagesLimit {
            partial = true
            let incidents = withIncidents
            entries.removeAll { !($0.status?.health == .failing || incidents.contains($0.recent.id)) }
        }
        // Past the limit, those failing or with incidents — but never more than the limit: in a mass outage of
        // a huge pool the site stays the size the limit says (the report lists every failure).
        if !partial || ((failing || withIncidents.contains(recent.id)) && entries.count < settings.interfacePagesLimit) {
            entries.append(Entry(recent: recent, today: today, status: status, quiet: quiet))
        }
    }
}

extension SiteCollection.ServiceTotals {
    mutating func record(failing: Bool, uptime24h: Double?) {
        interfaces += 1
        if failing { self.failing += 1 }
        if let uptime24h {
            uptime24hSum += uptime24h
            uptime24hCount += 1
        }
    }
}
