// RollupFold: how one run's results fold into an interface's rollup lines — today's counts and latency histogram,
// the recent strip, latencies, hourly buckets, last failure and certificate days. Pure: the join (Stream/RunPass)
// calls them per interface; the files they end up in are Views/Rollup.swift's.

import Foundation
import Shared

extension InterfaceDay {
    /// Folds one result in.
    mutating func add(_ result: ProbeResult) {
        runs += 1
        if result.outcome == .ok { ok += 1 } else { outcomes[result.outcome.rawValue, default: 0] += 1 }
        if let ms = result.latencyMs, result.status != nil { latency[LatencyBuckets.index(ms)] += 1 }
    }
}

extension InterfaceRecent {
    /// Folds one result of `run` in: the strip and latencies keep the last `Rollup.stripLength`.
    mutating func add(_ result: ProbeResult, run: String, hour: Int) throws {
        service = result.service
        name = result.name
        url = result.url
        strip.append(OutcomeLetter.letter(result.outcome))
        // One ASCII letter a run: counted in bytes (counting Characters walks grapheme breaks), unless a file
        // written by hand put something else there.
        let bytes = strip.utf8.count
        if bytes > Rollup.stripLength {
            let ascii = strip.utf8.allSatisfy { $0 < 0x80 }
            strip.removeFirst(ascii ? bytes - Rollup.stripLength : max(0, strip.count - Rollup.stripLength))
        }
        if !latencyText.isEmpty { latencyText.append(UInt8(ascii: ",")) }
        latencyText += HTML.format(result.status != nil ? (result.latencyMs ?? -1) : -1).utf8
        var values = latencyText.reduce(1) { $0 + ($1 == UInt8(ascii: ",") ? 1 : 0) }
        while values > Rollup.stripLength, let comma = latencyText.firstIndex(of: UInt8(ascii: ",")) {
            latencyText.removeSubrange(...comma)
            values -= 1
        }
        if let last = hours.last, last.hour == hour {
            hours[hours.count - 1] = Hour(hour: hour, ok: last.ok + (result.outcome == .ok ? 1 : 0), total: last.total + 1)
        } else {
            hours.append(Hour(hour: hour, ok: result.outcome == .ok ? 1 : 0, total: 1))
        }
        hours.removeAll { $0.hour <= hour - 25 }
        if result.outcome.isFailure, result.outcome != .skipped {
            lastFailureJSON = try RecordCoding.encode(
                LastFailure(
                    run: run, at: result.startedAt, outcome: result.outcome, method: result.method, url: result.url, error: result.error,
                    request: result.request, response: result.response))
        }
        if let days = result.tls?.earliestNotAfter.map({ Int(($0.timeIntervalSince(result.startedAt) / 86_400).rounded(.down)) }) {
            certDaysLeft = days
        }
    }
}
