// ImportCommand: `orchestrator import openapi|swagger|postman|har FILE --service NAME`: one interface file per
// operation under Interface-pool/<service>/ (mode 0640), read by Vigil's own readers (what they cannot read is
// refused with file:line). Only GET, HEAD and OPTIONS are written enabled: every other method changes data and is
// written `enabled: false`, said in the file and counted in the summary. No credential is copied: secrets become
// `${…}` references (ImportSecrets) and the service's auth, basic_auth and base_url are suggested on stdout,
// never invented. Re-import is safe: each file starts with a marker and the SHA-256 of the rest; a file whose
// hash no longer matches was edited by a person and is kept; operations gone from the document are reported,
// and removed only with --prune. Problems that concern every file (no base_url yet) are said once.

import Foundation
import Shared

struct ImportRequest: Equatable {
    var format: String
    var file: String
    var service: String
    var out: String?
    var only: [String] = []
    var tag: String?
    var baseURL: String?
    var dryRun = false
    var prune = false
}

/// What a document gives: its operations, and what the suggested service block says about it.
struct ImportPlan {
    var operations: [OpenAPIOperation]
    var baseURL: String?
    /// Said beside `base_url` when the document names none.
    var noBaseURL: String
    /// Comment lines for the service block (security the document declares).
    var lines: [String] = []
}

/// A document that cannot be imported, said in one sentence.
struct ImportError: Error, CustomStringConvertible {
    let description: String
}

enum ImportCommand {
    static let marker = "# vigil-import sha256="
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch"]

    static func run(_ request: ImportRequest, _ options: Options) -> Int32 {
        guard ImportName.isValidService(request.service) else {
            Log.error("--service \"\(ImportName.display(request.service))\": expected a name of letters, digits, - _ and . (not starting with .)")
            return 2
        }
        let secrets = ImportSecrets(service: request.service)
        let plan: ImportPlan
        let pool: String
        do {
            plan = try read(request, secrets)
            pool = try request.out ?? options.common.loadConfig().monitor.interfacePool
        } catch {
            Log.error(
                "\(error)"
                    + (request.out == nil && !(error is ImportError || error is ImportRefusal)
                        ? "\n(give --out DIR to import without the config)" : ""))
            return 2
        }
        // Names first over every operation, so that a secret value is known wherever else it appears.
        var operations = plan.operations
        for i in operations.indices { secrets.scrubNames(&operations[i]) }
        operations = operations.filter { op in
            (request.only.isEmpty || request.only.contains(op.method)) && (request.tag.map { op.tags.contains($0) } ?? true)
        }
        for i in operations.indices { secrets.scrubValues(&operations[i]) }

        var summary: [String] = []
        var files: [String: (text: String, op: OpenAPIOperation)] = [:]
        for op in operations {
            guard OpenAPIOperation.probedMethods.contains(op.method) else {
                summary.append(
                    "skipped    \(ImportName.display(op.method)) \(ImportName.display(op.path)): "
                        + "Vigil probes with GET, HEAD, OPTIONS, POST, PUT, PATCH or DELETE only")
                continue
            }
            let name = op.relativeName
            guard files[name] == nil else {
                summary.append("skipped    \(op.method) \(ImportName.display(op.path)): a second operation would be \(name).yaml")
                continue
            }
            files[name] = (ImportFile.text(op, source: request.file, format: request.format), op)
        }
        let directory = pool + "/" + request.service
        guard let counts = write(files, to: directory, request, &summary) else { return 1 }
        for line in summary { print(line) }
        printTotals(counts, files.values.map(\.op), request)
        let block = suggestion(plan, files.values.map(\.op), request, options, secrets)
        print(block, terminator: "")
        let variables = environmentVariables(files.values.map(\.text) + [block])
        if !variables.isEmpty {
            print("set in /etc/vigil/vigil.env (the files or the block above refer to them): " + variables.joined(separator: ", "))
        }
        for line in secrets.report { print(line) }
        return 0
    }

    /// The document, read and turned into operations by its format's reader.
    static func read(_ request: ImportRequest, _ secrets: ImportSecrets) throws -> ImportPlan {
        // Postman collections and HAR files are JSON whatever their extension.
        let root =
            ["postman", "har"].contains(request.format)
            ? try JSONDocument.parse(try DocumentParser.text(path: request.file, displayName: request.file))
            : try DocumentParser.parse(path: request.file, displayName: request.file)
        let document = JSONValue(node: root)
        switch request.format {
        case "postman":
            guard document.value(at: "info.schema")?.text?.contains("collection/v2") == true || document.value(at: "item") != nil else {
                throw ImportError(description: "\(request.file): not a Postman collection v2.1 (info.schema and item expected)")
            }
            let collection = PostmanCollection(document, secrets: secrets)
            return ImportPlan(
                operations: collection.operations(), baseURL: collection.baseVariable?.value, noBaseURL: "the collection has no base URL variable")
        case "har":
            guard case .array? = document.value(at: "log.entries") else {
                throw ImportError(description: "\(request.file): not a HAR file (log.entries expected)")
            }
            let har = HARLog(document, secrets: secrets)
            return ImportPlan(operations: har.operations(), baseURL: har.mainOrigin, noBaseURL: "the capture has no http(s) request")
        default:
            let isSwagger = document.value(at: "swagger")?.text?.hasPrefix("2") == true
            guard isSwagger || document.value(at: "openapi")?.text?.hasPrefix("3") == true else {
                throw ImportError(
                    description: "\(request.file): neither an OpenAPI 3 document (openapi: 3.x) nor Swagger 2 (swagger: \"2.0\")")
            }
            let spec = OpenAPIDocument(document, swagger: isSwagger, file: request.file)
            let operations = try spec.operations(secrets)
            return ImportPlan(
                operations: operations, baseURL: spec.baseURL, noBaseURL: "the document names no server",
                lines: spec.suggestionLines(operations))
        }
    }

    /// Writes (or, with --dry-run, says it would write) every changed file, and reports the files gone from the
    /// document; nil after an error already logged.
    static func write(
        _ files: [String: (text: String, op: OpenAPIOperation)], to directory: String, _ request: ImportRequest, _ summary: inout [String]
    ) -> (written: Int, unchanged: Int, kept: Int, gone: Int, pruned: Int)? {
        var counts = (written: 0, unchanged: 0, kept: 0, gone: 0, pruned: 0)
        let dry = request.dryRun
        for (name, file) in files.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + name + ".yaml"
            let existing = try? String(contentsOfFile: path, encoding: .utf8)
            if let existing, !isUntouched(existing) {
                summary.append("kept       \(path) (edited by hand: its hash no longer matches; delete it to regenerate)")
                counts.kept += 1
                continue
            }
            if existing == file.text {
                counts.unchanged += 1
                continue
            }
            let verb = existing == nil ? (dry ? "would write " : "written    ") : (dry ? "would update " : "updated    ")
            let why = file.op.changesData ? "\(file.op.method) changes data" : file.op.missing.first.map { "missing \($0)" }
            summary.append(verb + path + (why.map { " (disabled: \($0))" } ?? ""))
            counts.written += 1
            guard !dry else { continue }
            do {
                try FileIO.makeDirectory((path as NSString).deletingLastPathComponent, mode: 0o750)
                try FileIO.replaceAtomically(path, with: Array(file.text.utf8), mode: 0o640)
            } catch {
                Log.error("cannot write \(path): \(error)")
                return nil
            }
        }
        let existing = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
        for file in existing where file.hasSuffix(".yaml") && files[String(file.dropLast(5))] == nil {
            let path = directory + "/" + file
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasPrefix(marker) else { continue }
            if request.prune, isUntouched(text) {
                if !dry { try? FileIO.unlink(path) }
                summary.append((dry ? "would prune " : "pruned     ") + path)
                counts.pruned += 1
            } else {
                summary.append(
                    "gone       \(path): no longer in \(request.file)" + (request.prune ? " (edited by hand: kept)" : " (--prune removes it)"))
                counts.gone += 1
            }
        }
        return counts
    }

    static func printTotals(
        _ counts: (written: Int, unchanged: Int, kept: Int, gone: Int, pruned: Int), _ ops: [OpenAPIOperation], _ request: ImportRequest
    ) {
        let dry = request.dryRun
        print(
            "\(ops.count) operation(s): " + (dry ? "would write \(counts.written)" : "\(counts.written) written")
                + ", \(counts.unchanged) unchanged, \(counts.kept) kept, \(counts.gone) gone from the document, "
                + (dry ? "would prune \(counts.pruned)" : "\(counts.pruned) pruned") + (dry ? " (dry run: nothing written)" : ""))
        let writes = ops.filter(\.changesData)
        if !writes.isEmpty {
            let byMethod = Dictionary(grouping: writes, by: \.method).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.count)" }
            print(
                "disabled   \(writes.count) operation(s) that change data (\(byMethod.joined(separator: ", "))): written enabled: false, "
                    + "so that monitoring never creates, changes or deletes anything; to probe one deliberately, set enabled: true in its file")
        }
        let missing = ops.filter { !$0.changesData && !$0.missing.isEmpty }
        if !missing.isEmpty {
            print("disabled   \(missing.count) operation(s) missing a required value (no example or default in the document): see # missing: in each")
        }
    }

    /// The service block to add to config.yaml, and (once) what the current config still lacks.
    static func suggestion(
        _ plan: ImportPlan, _ ops: [OpenAPIOperation], _ request: ImportRequest, _ options: Options, _ secrets: ImportSecrets
    ) -> String {
        let base = request.baseURL ?? plan.baseURL.map(secrets.withoutPassword)
        var out = ""
        if request.out == nil, let config = try? options.common.loadConfig(), config.services[request.service]?.baseURL == nil,
            case let relative = ops.filter({ $0.url.hasPrefix("/") }).count, relative > 0
        {
            out +=
                "note: service \(request.service) has no base_url in \(config.source.map { ($0 as NSString).lastPathComponent } ?? "the config") yet: "
            out += "check refuses the \(relative) file(s) with a relative URL until the block below is added\n"
        }
        out += "suggested for config.yaml (check it; nothing was written there):\nservices:\n  \(request.service):\n"
        out += "    base_url: \(base.map { JSONValue.string($0).serialized() } ?? "\"https://…\"  # \(plan.noBaseURL)")\n"
        for line in plan.lines { out += "    \(line)\n" }
        if plan.lines.isEmpty, case let bearer = ops.filter(\.auth).count, bearer > 0 {
            out += "    # \(bearer) file(s) have auth: true; say how Vigil gets a token:\n"
            out += "    # auth: {url: /oauth/token, method: POST, body: {…}, token_field: access_token}\n"
        }
        if case let basic = ops.filter(\.basicAuth).count, basic > 0 {
            let variable = ImportSecrets.variableName(request.service)
            out += "    # HTTP basic authentication (\(basic) operation(s)): sent with every request of the service\n"
            out += "    basic_auth: {username: \"${\(variable)_USERNAME}\", password: \"${\(variable)_PASSWORD}\"}\n"
        }
        return out
    }

    /// The `${NAME}`s the files and the suggested block refer to.
    static func environmentVariables(_ texts: [String]) -> [String] {
        var names: Set<String> = []
        for text in texts {
            var rest = Substring(text)
            while let open = rest.range(of: "${") {
                let escaped = open.lowerBound > rest.startIndex && rest[rest.index(before: open.lowerBound)] == "$"
                guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
                let name = rest[open.upperBound..<close].split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                if !escaped, !name.isEmpty { names.insert(name) }
                rest = rest[rest.index(after: close)...]
            }
        }
        return names.sorted()
    }

    /// Whether a generated file is as generated: its marker's hash is the hash of the rest.
    static func isUntouched(_ text: String) -> Bool {
        guard text.hasPrefix(marker), let end = text.firstIndex(of: "\n") else { return false }
        let hash = text[text.index(text.startIndex, offsetBy: marker.count)..<end]
        return hash == SHA256.hex(SHA256.hash(Array(text[text.index(after: end)...].utf8)))
    }
}
