// ConfigError: every problem found in a config or interface file, each naming the file, the line where there
// is one, the key, and what was expected. Loaders collect all problems before failing, so `orchestrator
// check` can list every mistake in one pass.

/// One problem in a config or interface file.
public struct ConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let key: String?
    public let message: String

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `config.yaml:12: monitor.timeout: expected a duration such as 10 or 10s, found "ten"`
    public var description: String {
        var out = file
        if let line, line > 0 { out += ":\(line)" }
        out += ": "
        if let key, !key.isEmpty { out += key + ": " }
        return out + message
    }
}

/// A config or interface pool that could not be loaded.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let issues: [ConfigIssue]

    /// The issues, ordered by file and line (the order an operator fixes them in).
    public init(_ issues: [ConfigIssue]) {
        self.issues = issues.enumerated().sorted { a, b in
            (a.element.file, a.element.line ?? 0, a.offset) < (b.element.file, b.element.line ?? 0, b.offset)
        }.map(\.element)
    }

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
