// ProbeResultWrite: the fast path for writing a result line, the twin of ProbeResultScan. A prober writes one
// line per probe, and JSONEncoder was the largest part of its CPU per probe. The line has the same members in
// the same order as RecordCoding.encode gives (`v` and `kind` first, then sorted keys, so readers know the
// outcome before the excerpts); a test checks that JSONDecoder and the scanner read it back unchanged.

import Foundation

extension ProbeResult {
    /// This result as one JSON line (no newline).
    public func encodedLine() -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.field("v", v)
        w.field("kind", kind)
        w.field("attempts", attempts)
        w.field("body_bytes", bodyBytes)
        w.field("circuit_open_since", circuitOpenSince)
        w.field("error", error)
        w.field("failure_threshold", failureThreshold)
        w.field("final_url", finalURL)
        w.field("http_version", httpVersion)
        w.field("id", id)
        w.field("latency_ms", latencyMs)
        w.field("location", location)
        w.field("method", method)
        w.field("name", name)
        w.field("outcome", outcome.rawValue)
        w.field("redirects", redirects)
        w.field("remote_ip", remoteIP)
        if let request { w.raw("request", request.encodedObject()) }
        if let response { w.raw("response", response.encodedObject()) }
        w.field("run", run)
        w.field("service", service)
        w.field("shard", shard.description)
        w.field("skipped_since", skippedSince)
        w.field("started_at", startedAt)
        w.field("status", status)
        w.field("success_threshold", successThreshold)
        if let timings {
            var t = JSONWriter(capacity: 96)
            t.field("connect", timings.connect)
            t.field("dns", timings.dns)
            t.field("first_byte", timings.firstByte)
            t.field("tls", timings.tls)
            t.field("total", timings.total)
            w.raw("timings", t.finish())
        }
        if let tls {
            var t = JSONWriter(capacity: 160)
            t.field("days_left", tls.daysLeft)
            t.field("earliest_not_after", tls.earliestNotAfter)
            t.field("issuer", tls.issuer)
            t.field("not_after", tls.notAfter)
            t.field("subject", tls.subject)
            t.field("version", tls.version)
            w.raw("tls", t.finish())
        }
        w.field("url", url)
        return w.finish()
    }
}

extension HTTPExcerpt {
    func encodedObject() -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.field("body", body)
        var h = JSONWriter(capacity: 128)
        for field in headers.fields.sorted(by: { $0.name < $1.name }) { h.field(dynamic: field.name, field.value) }
        w.raw("headers", h.finish())
        w.field("truncated_from", truncatedFrom)
        return w.finish()
    }
}
