// ImportFile: one imported operation and the interface file written for it. Only safe methods (GET, HEAD,
// OPTIONS) are written enabled; every other one changes data and is written `enabled: false` with a comment
// saying so. File names are validated here, once: letters, digits, `-`, `_` and `.`, never empty, never hidden,
// never a path separator, and shortened with a hash of the whole name past `ImportName.maxLength`.

import Foundation
import Shared

/// One operation, as an interface.
struct OpenAPIOperation {
    /// The sub-folder under the service (Postman folders), already made of valid names.
    var folder: String?
    var method: String
    var path: String
    var operationId: String?
    var name: String
    var tags: [String]
    var url: String
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: JSONValue?
    /// An `application/x-www-form-urlencoded` body, by field.
    var form: [(String, String)]?
    /// Send the service's bearer token.
    var auth = false
    /// The document asks for HTTP basic authentication (the service's `basic_auth`).
    var basicAuth = false
    var missing: [String] = []
    var statuses: [Int] = []
    /// The file name when the source names its requests (Postman).
    var fileNameOverride: String?

    /// The methods a probe may send every interval: they read and change nothing (RFC 9110 §9.2.1).
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]
    /// The methods an interface file may name (anything else from a capture is skipped, never written).
    static let probedMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]

    var changesData: Bool { !Self.safeMethods.contains(method) }
    var enabled: Bool { !changesData && missing.isEmpty }

    /// operationId (or the request's name), else method and path.
    var fileName: String {
        fileNameOverride ?? ImportName.file(operationId ?? (method.lowercased() + "-" + path))
    }

    /// The file's path under the service, without extension.
    var relativeName: String { (folder.map { $0 + "/" } ?? "") + fileName }
}

/// File and folder names for imported operations.
enum ImportName {
    /// Longer names are cut and end with a hash of the whole name (ext4 allows 255 bytes; ids stay readable).
    static let maxLength = 80
    static let maxFolders = 8

    /// A name made of `[A-Za-z0-9_.-]`, runs of anything else as one `-`, no leading or trailing `-` or `.`;
    /// empty becomes `operation-<hash>`, too long is cut and given the hash of the whole raw name.
    static func file(_ raw: String) -> String {
        var out = ""
        for c in raw.unicodeScalars {
            let ok = (c.isASCII && CharacterSet.alphanumerics.contains(c)) || c == "-" || c == "_" || c == "."
            if ok {
                out.unicodeScalars.append(c)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.contains("--") { out = out.replacingOccurrences(of: "--", with: "-") }
        while out.contains("..") { out = out.replacingOccurrences(of: "..", with: ".") }
        out = out.trimmingCharacters(in: CharacterSet(charactersIn: "-."))
        if out.isEmpty { return "operation-" + hash(raw) }
        if out.utf8.count > maxLength {
            let cut = String(out.prefix(maxLength - 9)).trimmingCharacters(in: CharacterSet(charactersIn: "-."))
            return cut + "-" + hash(raw)
        }
        return out
    }

    /// Folder names (Postman folders), each made a valid name; past `maxFolders` levels the rest is one folder.
    static func folder(_ parts: [String]) -> String? {
        guard !parts.isEmpty else { return nil }
        var names = parts.prefix(maxFolders - 1).map(file)
        if parts.count >= maxFolders { names.append(file(parts.dropFirst(maxFolders - 1).joined(separator: "-"))) }
        return names.joined(separator: "/")
    }

    static func hash(_ raw: String) -> String {
        String(SHA256.hex(SHA256.hash(Array(raw.utf8))).prefix(8))
    }

    /// A service name given on the command line: used as it is, or refused (it is the operator's own word).
    static func isValidService(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.utf8.count <= 128
            && name.unicodeScalars.allSatisfy { ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "-_.".unicodeScalars.contains($0) }
    }

    /// A display name for the interface: control characters as spaces, at most 200 characters.
    static func display(_ raw: String) -> String {
        let flat = String(String.UnicodeScalarView(raw.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : $0 }))
        return flat.count > 200 ? String(flat.prefix(199)) + "…" : flat
    }
}

enum ImportFile {
    /// The interface file: marker line, then YAML whose values are JSON (a subset of YAML), so nothing is misread.
    static func text(_ op: OpenAPIOperation, source: String, format: String) -> String {
        func quoted(_ text: String) -> String { JSONValue.string(text).serialized() }
        func pairs(_ list: [(String, String)]) -> String {
            "{" + list.map { "\(quoted($0.0)): \(quoted($0.1))" }.joined(separator: ", ") + "}"
        }
        let from = ImportName.display("\(op.method) \(op.path)")
        var body =
            "# Generated by `vigil-orchestrator import \(format) \(ImportName.display((source as NSString).lastPathComponent))` from \(from).\n"
        body += "# Edit freely: a file whose hash no longer matches is never overwritten by a re-import.\n"
        let name = ImportName.display(op.name).trimmingCharacters(in: .whitespaces)
        body += "name: \(quoted(name.isEmpty ? from : name))\n"
        body += "method: \(op.method)\n"
        body += "url: \(quoted(op.url))\n"
        if !op.query.isEmpty { body += "params: \(pairs(op.query))\n" }
        if !op.headers.isEmpty { body += "headers: \(pairs(op.headers))\n" }
        if let example = op.body { body += "body: \(example.serialized())\n" }
        if let form = op.form { body += "form: \(pairs(form))\n" }
        if op.auth { body += "auth: true\n" }
        if op.changesData {
            body += "# \(op.method) changes data: a probe would send it every interval, so it is written disabled.\n"
            body += "# To probe it deliberately (a test instance, an idempotent call), set enabled: true here;\n"
            body += "# the edited file is then yours and a re-import keeps it.\n"
        }
        if !op.missing.isEmpty {
            body += "# missing: \(ImportName.display(op.missing.joined(separator: "; "))) (no example or default in the document)\n"
        }
        if !op.enabled { body += "enabled: false\n" }
        if !op.statuses.isEmpty { body += "expect: {status: [\(op.statuses.map(String.init).joined(separator: ", "))]}\n" }
        return ImportCommand.marker + SHA256.hex(SHA256.hash(Array(body.utf8))) + "\n" + body
    }
}
