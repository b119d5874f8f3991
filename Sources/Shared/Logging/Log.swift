// Log: one line per event on stderr, never on stdout (which carries data). When journald reads the stream
// (JOURNAL_STREAM is set) each line starts with the syslog priority `<N>` and journald adds time and pid;
// otherwise the line carries a UTC timestamp, the program and its pid. Secrets are masked on the way out.

import Foundation
import Synchronization

/// Severity of a log event, with its syslog priority number.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case critical = 2
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7

    /// The word printed in front of the message when not under journald.
    public var label: String {
        switch self {
        case .critical: "critical"
        case .error: "error"
        case .warning: "warning"
        case .notice: "notice"
        case .info: "info"
        case .debug: "debug"
        }
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue > rhs.rawValue }

    /// Parses `debug`, `info`, … (as in `VIGIL_LOG_LEVEL`).
    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.label == name.lowercased() }) else { return nil }
        self = level
    }
}

/// The process-wide logger. Configure once at start with `Log.setup(program:)`.
public enum Log {
    private struct Settings {
        var program = "vigil"
        var threshold = LogLevel.info
        var journal = false
        var prefix: String?
    }

    private static let settings = Mutex(Settings())

    /// Sets the program name and reads `JOURNAL_STREAM` and `VIGIL_LOG_LEVEL` from the environment.
    public static func setup(program: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        settings.withLock { s in
            s.program = program
            s.journal = environment["JOURNAL_STREAM"] != nil
            if let name = environment["VIGIL_LOG_LEVEL"], let level = LogLevel(name: name) {
                s.threshold = level
            }
        }
        if let name = environment["VIGIL_LOG_LEVEL"], LogLevel(name: name) == nil {
            let levels = LogLevel.allCases.reversed().map(\.label).joined(separator: ", ")
            warning("VIGIL_LOG_LEVEL=\"\(name.prefix(40))\" is not a level (\(levels)); logging at info")
        }
    }

    /// Lowers or raises the threshold below which events are not written.
    public static func setThreshold(_ level: LogLevel) {
        settings.withLock { $0.threshold = level }
    }

    /// Whether events of `level` are written at all (to skip building expensive messages).
    public static func enabled(_ level: LogLevel) -> Bool {
        settings.withLock { level >= $0.threshold }
    }

    public static func debug(_ message: @autoclosure () -> String) { write(.debug, message) }
    public static func info(_ message: @autoclosure () -> String) { write(.info, message) }
    public static func notice(_ message: @autoclosure () -> String) { write(.notice, message) }
    public static func warning(_ message: @autoclosure () -> String) { write(.warning, message) }
    public static func error(_ message: @autoclosure () -> String) { write(.error, message) }
    public static func critical(_ message: @autoclosure () -> String) { write(.critical, message) }

    /// A configuration that could not be loaded: one event per problem (file:line: key: what was expected), then
    /// one saying what happens now (`consequence`: "nothing probed", "keeping the old one").
    public static func configurationProblems(_ error: Error, _ consequence: String) {
        if let config = error as? ConfigError {
            for issue in config.issues { Log.error("\(issue)") }
            Log.error("configuration invalid: \(config.issues.count) problem(s); \(consequence)")
        } else {
            Log.error("configuration invalid: \(error); \(consequence)")
        }
    }

    /// Writes one event. The line is built first and written with a single `write(2)`, so lines from
    /// several threads never interleave.
    public static func write(_ level: LogLevel, _ message: () -> String) {
        let s = settings.withLock { $0 }
        guard level >= s.threshold else { return }
        let text = Redactor.redact(message()).flattenedToOneLine()
        let line: String
        if s.journal {
            line = "<\(level.rawValue)>\(level.label): \(text)\n"
        } else {
            let stamp = Timestamp.format(Date())
            line = "\(stamp) \(s.program)[\(getpid())]: \(level.label): \(text)\n"
        }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

extension String {
    /// The text with line breaks and other control characters escaped, so one event stays one line.
    public func flattenedToOneLine() -> String {
        guard self.utf8.contains(where: { $0 < 0x20 }) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\x" + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
