// Checks: the expectations on an answer besides its status — body texts and patterns, headers, values in a
// JSON body, the certificate's remaining days. Each returns one sentence per failing check, naming the check
// and what was found; values under secret-looking names are never quoted.

import Foundation
import Shared

enum Checks {
    /// Found values are quoted up to this many characters.
    static let quoteLimit = 80

    static func body(_ response: HTTPResponse, _ expect: Expectation) -> [String] {
        guard !expect.bodyContains.isEmpty || !expect.bodyNotContains.isEmpty || !expect.bodyMatches.isEmpty else { return [] }
        let body = String(decoding: response.body, as: UTF8.self)
        var failures: [String] = []
        for text in expect.bodyContains where !body.contains(text) {
            failures.append("body does not contain \(text.debugDescription)" + cutNote(response))
        }
        for text in expect.bodyNotContains where body.contains(text) {
            failures.append("body contains \(text.debugDescription)")
        }
        for pattern in expect.bodyMatches where !matches(pattern, body) {
            failures.append("body does not match /\(pattern)/" + cutNote(response))
        }
        return failures
    }

    static func headers(_ headers: HeaderFields, _ checks: [HeaderCheck]) -> [String] {
        checks.compactMap { check in
            // Repeated headers are read as one, their values joined with ", " (RFC 9110, 5.3).
            let values = headers.fields.filter { $0.name.caseInsensitiveCompare(check.name) == .orderedSame }.map(\.value)
            let value = values.isEmpty ? nil : values.joined(separator: ", ")
            let shown = value.map { RequestBuilder.isSecretHeader(check.name) ? Redactor.mask : quote($0) }
            switch check.test {
            case let .exists(wanted):
                guard (value != nil) != wanted else { return nil }
                return wanted
                    ? "header \(check.name): expected to be present, missing" : "header \(check.name): expected to be absent, found \(shown!)"
            case let .equals(expected):
                guard value != expected else { return nil }
                return "header \(check.name): expected \(quote(expected)), found " + (shown ?? "no such header")
            case let .matches(pattern):
                if let value, matches(pattern, value) { return nil }
                return "header \(check.name): expected to match /\(pattern)/, found " + (shown ?? "no such header")
            }
        }
    }

    static func json(_ response: HTTPResponse, _ checks: [JSONCheck], secretFields: Set<String>) -> [String] {
        let document: JSONValue
        do {
            guard let text = String(strictUTF8: response.body) else { throw NotJSON(description: "not UTF-8 text") }
            document = JSONValue(node: try JSONDocument.parse(text))
        } catch {
            // One sentence for all of them: the body itself is the problem.
            let type = response.headers["Content-Type"].map { ", Content-Type \(quote($0))" } ?? ""
            let paths = checks.map(\.path.text).joined(separator: ", ")
            return ["json \(paths): the body is not JSON (\(error)\(type))" + cutNote(response)]
        }
        let context = messageContext(document)
        return checks.compactMap { check in
            let secret =
                check.path.steps.last.map { step -> Bool in
                    guard case let .member(name) = step else { return false }
                    return secretFields.contains(name.lowercased()) || Secrets.fieldNames.contains(name.lowercased())
                        || ConfigReader.looksSecret(name)
                } ?? false
            guard let problem = failure(of: check, in: document, secret: secret) else { return nil }
            // `(msg: "database unavailable")`: the answer's own words, unless the failing value is that message.
            let note = context.flatMap { $0.path == check.path.canonical ? nil : " (\($0.key): \($0.quoted))" } ?? ""
            return "json \(check.path): \(problem)\(note)"
        }
    }

    /// What is wrong with the value `check` looks at; nil when it passes.
    static func failure(of check: JSONCheck, in document: JSONValue, secret: Bool) -> String? {
        let found = check.path.resolve(in: document)
        func shown(_ value: JSONValue) -> String { secret ? "a \(value.typeName) (value masked)" : quote(value) }
        let missing: String
        switch found {
        case let .success(value):
            switch check.test {
            case let .exists(wanted): return wanted ? nil : "expected to be absent, found \(shown(value))"
            case let .equals(expected):
                return value.jsonEquals(expected) ? nil : "expected \(quote(expected)), found \(shown(value))"
            case let .notEquals(unwanted):
                return value.jsonEquals(unwanted) ? "expected anything but \(quote(unwanted)), found it" : nil
            case let .oneOf(choices):
                return choices.contains(where: value.jsonEquals) ? nil : "expected one of \(quote(.array(choices))), found \(shown(value))"
            case let .type(name):
                return value.typeName == name ? nil : "expected \(article(name)), found \(secret ? article(value.typeName) : shown(value))"
            case let .matches(pattern):
                let text: String
                switch value {
                case let .string(s): text = s
                case .number, .bool: text = value.serialized()
                default: return "expected text to match /\(pattern)/, found \(article(value.typeName))"
                }
                return matches(pattern, text) ? nil : "expected to match /\(pattern)/, found \(shown(value))"
            case let .lessThan(limit, written), let .greaterThan(limit, written):
                let less = if case .lessThan = check.test { true } else { false }
                let relation = less ? "less than" : "greater than"
                guard case let .number(text) = value, let number = Double(text) else {
                    return "expected a number \(relation) \(written), found \(shown(value))"
                }
                return (less ? number < limit : number > limit) ? nil : "expected \(relation) \(written), found \(shown(value))"
            case let .minLength(n), let .maxLength(n):
                let atLeast = if case .minLength = check.test { true } else { false }
                let count: Int
                let unit: String
                switch value {
                case let .string(s):
                    count = s.count
                    unit = "character"
                case let .array(items):
                    count = items.count
                    unit = "item"
                default: return "expected a string or an array, found \(shown(value))"
                }
                guard atLeast ? count < n : count > n else { return nil }
                return "expected \(atLeast ? "at least" : "at most") \(n) \(unit)\(n == 1 ? "" : "s"), found \(count)"
            }
        case let .failure(stop):
            missing = "missing (\(stop.reason))"
        }
        if case .exists(false) = check.test { return nil }
        if case .exists(true) = check.test { return "expected to exist, \(missing)" }
        return "expected " + expectation(check.test) + ", " + missing
    }

    /// The check in words, for a value that is not there.
    private static func expectation(_ test: JSONCheck.Test) -> String {
        switch test {
        case let .equals(value): quote(value)
        case let .notEquals(value): "anything but \(quote(value))"
        case let .oneOf(values): "one of \(quote(.array(values)))"
        case .exists: "a value"
        case let .type(name): article(name)
        case let .matches(pattern): "text matching /\(pattern)/"
        case let .lessThan(_, written): "a number less than \(written)"
        case let .greaterThan(_, written): "a number greater than \(written)"
        case let .minLength(n): "at least \(n) item(s) or character(s)"
        case let .maxLength(n): "at most \(n) item(s) or character(s)"
        }
    }

    /// "a certificate in the chain expires in 3 days (2026-11-27T10:00:00Z), under cert_min_days 14".
    static func certificate(_ response: HTTPResponse, minDays: Int, now: Date) -> String? {
        guard minDays > 0, let tls = TLSFacts(chain: response.certificates, now: now), let earliest = tls.earliestNotAfter else { return nil }
        let days = Int((earliest.timeIntervalSince(now) / 86_400).rounded(.down))
        guard days < minDays else { return nil }
        let which =
            earliest == tls.notAfter ? "the certificate of \(tls.subject)" : "a certificate in the chain of \(tls.subject) (not the server's own)"
        let when =
            earliest <= now
            ? "expired \(DurationParser.format(now.timeIntervalSince(earliest))) ago" : "expires in \(days) day\(days == 1 ? "" : "s")"
        return "\(which) \(when) (\(Timestamp.format(earliest))), under cert_min_days \(minDays)"
    }

    /// Whether `pattern` (validated when the config was read) matches anywhere in `text`.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return text.contains(regex)
    }

    /// The answer's own explanation: `msg`, `message`, `errmsg`, `error` … at the top, or `error.message`.
    static func messageContext(_ document: JSONValue) -> (key: String, path: String, quoted: String)? {
        guard case let .object(members) = document else { return nil }
        for key in ["msg", "message", "errmsg", "error_msg", "error_message", "error_description", "detail", "error"] {
            guard let value = members.last(where: { $0.key == key })?.value else { continue }
            switch value {
            case .string, .number: return (key, "$[\"\(key)\"]", quote(value))
            case let .object(inner):
                if let message = inner.last(where: { $0.key == "message" })?.value, case .string = message {
                    return ("\(key).message", "$[\"\(key)\"][\"message\"]", quote(message))
                }
            default: continue
            }
        }
        return nil
    }

    static func quote(_ value: JSONValue) -> String { cut(value.serialized()) }

    static func quote(_ text: String) -> String { cut(JSONValue.string(text).serialized()) }

    private static func cut(_ text: String) -> String {
        text.count <= quoteLimit ? text : String(text.prefix(quoteLimit)) + "…"
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "array", "object": "an \(type)"
        case "null": "null"
        default: "a \(type)"
        }
    }

    /// " (the body was cut at max_body_bytes: 1 MiB of 3 MiB kept)" when the check saw only part of it.
    private static func cutNote(_ response: HTTPResponse) -> String {
        guard response.bodyBytes > response.body.count else { return "" }
        return " (the body was cut at max_body_bytes: \(response.body.count) of \(response.bodyBytes) bytes kept)"
    }

    struct NotJSON: Error, CustomStringConvertible {
        let description: String
    }
}
