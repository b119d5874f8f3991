// Delivery: one alert on its way to one channel. An alert published by the analyzer (`R.alert.ndjson`) is
// split into a delivery file per channel (`R.alert@wecom.ndjson`): the alert line, then a `delivery` line
// with attempts, the last error and how far a multi-part message got. The file is rewritten (atomically) as
// it moves: outbox/new → cur → deferred/ (mtime = next attempt) → sent/ or failed/.

import Foundation
import Shared

/// `{"v":1,"kind":"delivery",…}`: how a delivery stands.
struct DeliveryState: Codable, Equatable {
    var v = 1
    var kind = RecordKind.delivery.rawValue
    var channel: String
    var attempts = 0
    /// Times the delivery was deferred (drives the back-off).
    var deferrals = 0
    var firstAttemptAt: Date?
    var lastAttemptAt: Date?
    var lastError: String?
    var nextAttemptAt: Date?
    /// Parts of a multi-part message already accepted (WeCom: markdown, then the mention text).
    var partsSent = 0
    var deliveredAt: Date?
    /// False when no channel was configured and the message was only printed.
    var delivered: Bool?
    var note: String?
    /// A replay from sent/: when, when the alert was first delivered, and whether it may @mention people.
    var replayedAt: Date?
    var firstDeliveredAt: Date?
    var mention: Bool?
    /// Every settled attempt, oldest first (the last 50): what happened to this alert, readable with `jq`.
    var log: [AttemptRecord]?

    init(channel: String) { self.channel = channel }

    enum CodingKeys: String, CodingKey {
        case v, kind, channel, attempts, deferrals
        case firstAttemptAt = "first_attempt_at"
        case lastAttemptAt = "last_attempt_at"
        case lastError = "last_error"
        case nextAttemptAt = "next_attempt_at"
        case partsSent = "parts_sent"
        case deliveredAt = "delivered_at"
        case delivered, note
        case replayedAt = "replayed_at"
        case firstDeliveredAt = "first_delivered_at"
        case mention, log
    }

    /// Appends a settled attempt, keeping the last 50.
    mutating func record(_ result: String, error: String?, at date: Date = Date()) {
        var entries = log ?? []
        entries.append(AttemptRecord(at: date, result: result, error: error))
        log = Array(entries.suffix(50))
    }
}

/// One settled delivery attempt: delivered, deferred, misconfigured, refused, replayed.
struct AttemptRecord: Codable, Equatable {
    var at: Date
    var result: String
    var error: String?
}

/// A delivery file read from the spool.
struct Delivery {
    /// File name: `<run>.alert@<channel>.ndjson`.
    let name: String
    var alert: Alert
    var state: DeliveryState

    static func name(alertFile: String, channel: String) -> String {
        let base = alertFile.hasSuffix(".ndjson") ? String(alertFile.dropLast(7)) : alertFile
        return base + "@" + channel + ".ndjson"
    }

    /// The channel in a delivery file name, nil for an alert not yet split.
    static func channel(of name: String) -> String? {
        guard let at = name.lastIndex(of: "@") else { return nil }
        let tail = name[name.index(after: at)...]
        return String(tail.hasSuffix(".ndjson") ? tail.dropLast(7) : tail)
    }

    /// Reads a delivery (or an alert file not yet split, whose state is fresh for `channel`).
    static func read(_ path: String, name: String) throws -> Delivery {
        let bytes = try FileIO.read(path)
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: true)
        guard let first = lines.first else { throw SpoolError.invalidFile(path: path, reason: "empty file") }
        let decoder = RecordDecoder()
        let header = try decoder.header(first)
        guard header.kind == RecordKind.alert.rawValue else {
            throw RecordError.unexpectedKind(found: header.kind, expected: RecordKind.alert.rawValue)
        }
        let alert = try decoder.decode(Alert.self, from: first)
        var state = DeliveryState(channel: channel(of: name) ?? "")
        if lines.count > 1 { state = try decoder.decode(DeliveryState.self, from: lines[1]) }
        return Delivery(name: name, alert: alert, state: state)
    }

    func bytes() throws -> [UInt8] {
        try RecordCoding.encode(alert) + [10] + RecordCoding.encode(state) + [10]
    }
}
