// EnvironmentFile: reads a file in systemd's EnvironmentFile= syntax (systemd.exec(5)), so that
// `orchestrator check --env-file` sees the variables the services will get: KEY=VALUE lines, comments
// (# or ;), single quotes (verbatim), double quotes (\" \\ \$ \` escapes), backslash continuations, and
// whitespace trimmed around unquoted values. Lines systemd would skip are reported, never silently dropped.

import Foundation

/// The variables of one environment file, and the lines systemd would ignore.
public struct EnvironmentFile: Sendable {
    /// The assignments in file order (a later one for the same name wins, as in systemd).
    public private(set) var assignments: [(name: String, value: String, line: Int)] = []
    /// Lines systemd ignores (no "=", a name that is no variable name), with file and line.
    public private(set) var ignored: [ConfigIssue] = []

    /// The variables, later assignments winning.
    public var variables: [String: String] {
        var out: [String: String] = [:]
        for a in assignments { out[a.name] = a.value }
        return out
    }

    /// Reads `path`; `displayName` names it in messages.
    public static func load(path: String, displayName: String) throws -> EnvironmentFile {
        // systemd skips assignments that are not UTF-8; a file that is not text is refused whole here.
        EnvironmentFile(parsing: try DocumentParser.text(path: path, displayName: displayName), file: displayName)
    }

    /// Parses `text` with systemd's rules (src/basic/env-file.c: the same states, written anew).
    public init(parsing text: String, file: String) {
        var parser = EnvironmentFileParser(file: file)
        for scalar in text.unicodeScalars { parser.step(scalar) }
        parser.end()
        assignments = parser.assignments
        ignored = parser.ignored
    }
}

/// systemd's env-file state machine, one Unicode scalar at a time: where it is (before a key, in a key, in a
/// value, quoted, escaped, in a comment), the assignment being read, and what it has read so far.
private struct EnvironmentFileParser {
    private enum State {
        case beforeKey, key, beforeValue, value, valueEscape, singleQuoted, doubleQuoted, doubleQuotedEscape, comment, commentEscape
    }

    let file: String
    private(set) var assignments: [(name: String, value: String, line: Int)] = []
    private(set) var ignored: [ConfigIssue] = []
    private var state = State.beforeKey
    private var key = ""
    private var value = ""
    private var keyLine = 1
    private var line = 1
    /// Offsets in `key`/`value` where trailing whitespace starts (trimmed at the end of an unquoted part).
    private var keyTrail: String.Index?
    private var valueTrail: String.Index?
    private var previousCR = false
    private static let whitespace: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r"]

    /// The line is not quoted: a value pasted without its name would be a secret in the output.
    private static let noAssignment = "not an assignment (no \"=\"): systemd ignores this line"

    init(file: String) {
        self.file = file
    }

    /// Reads one scalar in the current state.
    mutating func step(_ scalar: Unicode.Scalar) {
        let isNewline = scalar == "\n" || scalar == "\r"
        switch state {
        case .beforeKey: beforeKey(scalar)
        case .key: inKey(scalar, isNewline: isNewline)
        case .beforeValue: beforeValue(scalar, isNewline: isNewline)
        case .value: inValue(scalar, isNewline: isNewline)
        case .valueEscape:
            // A backslash-newline continues the line; any other escaped character is kept as itself.
            state = .value
            if !isNewline { value.unicodeScalars.append(scalar) }
        case .singleQuoted:
            if scalar == "'" { state = .beforeValue } else { value.unicodeScalars.append(scalar) }
        case .doubleQuoted, .doubleQuotedEscape: doubleQuoted(scalar)
        case .comment:
            if scalar == "\\" { state = .commentEscape } else if isNewline { state = .beforeKey }
        case .commentEscape:
            state = isNewline ? .beforeKey : .comment
        }
        // Line numbers count LF, CRLF and lone CR as one line end each.
        if scalar == "\n" { if !previousCR { line += 1 } } else if scalar == "\r" { line += 1 }
        previousCR = scalar == "\r"
    }

    /// The end of the text: an assignment being read is complete, a key without "=" is reported.
    mutating func end() {
        switch state {
        case .beforeValue, .valueEscape, .singleQuoted, .doubleQuoted, .doubleQuotedEscape:
            finish()
        case .value:
            if let valueTrail { value = String(value[..<valueTrail]) }
            finish()
        case .key:
            ignored.append(ConfigIssue(file: file, line: keyLine, key: nil, message: Self.noAssignment))
        default:
            break
        }
    }

    private mutating func beforeKey(_ scalar: Unicode.Scalar) {
        if scalar == "#" || scalar == ";" {
            state = .comment
        } else if !Self.whitespace.contains(scalar) {
            state = .key
            keyLine = line
            key.unicodeScalars.append(scalar)
        }
    }

    private mutating func inKey(_ scalar: Unicode.Scalar, isNewline: Bool) {
        if isNewline {
            ignored.append(ConfigIssue(file: file, line: keyLine, key: nil, message: Self.noAssignment))
            key = ""
            keyTrail = nil
            state = .beforeKey
        } else if scalar == "=" {
            state = .beforeValue
        } else {
            if scalar == " " || scalar == "\t" {
                if keyTrail == nil { keyTrail = key.endIndex }
            } else {
                keyTrail = nil
            }
            key.unicodeScalars.append(scalar)
        }
    }

    private mutating func beforeValue(_ scalar: Unicode.Scalar, isNewline: Bool) {
        if isNewline {
            finish()
            state = .beforeKey
        } else if scalar == "'" {
            state = .singleQuoted
        } else if scalar == "\"" {
            state = .doubleQuoted
        } else if scalar == "\\" {
            state = .valueEscape
        } else if !Self.whitespace.contains(scalar) {
            state = .value
            value.unicodeScalars.append(scalar)
        }
    }

    private mutating func inValue(_ scalar: Unicode.Scalar, isNewline: Bool) {
        if isNewline {
            if let valueTrail { value = String(value[..<valueTrail]) }
            finish()
            state = .beforeKey
        } else if scalar == "\\" {
            state = .valueEscape
            valueTrail = nil
        } else {
            if Self.whitespace.contains(scalar) {
                if valueTrail == nil { valueTrail = value.endIndex }
            } else {
                valueTrail = nil
            }
            value.unicodeScalars.append(scalar)
        }
    }

    /// Inside double quotes, and just after a backslash there.
    private mutating func doubleQuoted(_ scalar: Unicode.Scalar) {
        if state == .doubleQuotedEscape {
            state = .doubleQuoted
            if "\"\\`$".unicodeScalars.contains(scalar) {
                value.unicodeScalars.append(scalar)
            } else if scalar != "\n" {
                // As in the shell, a backslash before any other character stays.
                value += "\\"
                value.unicodeScalars.append(scalar)
            }
        } else if scalar == "\"" {
            state = .beforeValue
        } else if scalar == "\\" {
            state = .doubleQuotedEscape
        } else {
            value.unicodeScalars.append(scalar)
        }
    }

    /// The assignment read: recorded (or reported when the key is no variable name), and the next one begins.
    private mutating func finish() {
        if let keyTrail { key = String(key[..<keyTrail]) }
        record(key: key, value: value, line: keyLine)
        key = ""
        value = ""
        keyTrail = nil
        valueTrail = nil
    }

    private mutating func record(key: String, value: String, line: Int) {
        let valid =
            key.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && key.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard valid else {
            ignored.append(
                ConfigIssue(
                    file: file, line: line, key: nil,
                    message: "\"\(key.prefix(20))\" is not a variable name (letters, digits, _): systemd ignores this assignment"))
            return
        }
        assignments.append((key, value, line))
    }
}

/// The variables of several `--env-file` files, later files winning as with several EnvironmentFile= lines.
public struct EnvironmentFiles: Sendable {
    /// The variables `${…}` expands from.
    public var variables: [String: String]
    /// Lines systemd would ignore, with file and line.
    public var ignored: [ConfigIssue] = []
    /// The files read, as named on the command line ("standard input" for `-`).
    public var read: [String] = []

    public init(variables: [String: String], ignored: [ConfigIssue] = [], read: [String] = []) {
        self.variables = variables
        self.ignored = ignored
        self.read = read
    }

    /// Reads `arguments` in order. `-`, `/dev/stdin`, `/dev/fd/N` and `/proc/self/fd/N` are read from the
    /// descriptor this process already has, never opened again by name: re-opening a pipe through /proc
    /// checks the pipe's owner, which fails for `cat vigil.env | sudo -u vigil …` (EACCES). A path with a
    /// leading "-" may be missing, as in a unit file.
    public static func load(_ arguments: [String]) throws -> EnvironmentFiles {
        var out = EnvironmentFiles(variables: [:])
        for argument in arguments {
            let file: EnvironmentFile
            if let fd = descriptor(named: argument) {
                let name = argument == "-" ? "standard input" : argument
                let bytes: [UInt8]
                do {
                    bytes = try FileIO.read(descriptor: fd, name: name)
                } catch {
                    throw ConfigError([ConfigIssue(file: name, line: nil, key: nil, message: "cannot read: \(error)")])
                }
                guard let text = String(strictUTF8: bytes) else {
                    throw ConfigError([ConfigIssue(file: name, line: nil, key: nil, message: "not valid UTF-8 text")])
                }
                file = EnvironmentFile(parsing: text, file: name)
                out.read.append(name)
            } else {
                let optional = argument.hasPrefix("-")
                let path = optional ? String(argument.dropFirst()) : argument
                guard FileManager.default.fileExists(atPath: path) else {
                    if optional { continue }
                    throw ConfigError([
                        ConfigIssue(
                            file: path, line: nil, key: nil,
                            message: "no such file (write --env-file -\(path) if the unit's EnvironmentFile= has a \"-\")")
                    ])
                }
                file = try EnvironmentFile.load(path: path, displayName: path)
                out.read.append(path)
            }
            out.variables.merge(file.variables) { $1 }
            out.ignored += file.ignored
        }
        if out.read.isEmpty { out.read = ["no file"] }
        return out
    }

    /// The descriptor an argument names (`-`, `/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`), or nil for a path.
    static func descriptor(named argument: String) -> Int32? {
        if argument == "-" || argument == "/dev/stdin" { return 0 }
        for prefix in ["/dev/fd/", "/proc/self/fd/"] where argument.hasPrefix(prefix) {
            let number = argument.dropFirst(prefix.count)
            guard !number.isEmpty, number.count <= 9, number.allSatisfy(\.isASCII), let fd = Int32(number), fd >= 0 else { return nil }
            return fd
        }
        return nil
    }
}
