// InterfacePool: every interface definition under Interface-pool/, read recursively in a stable order. Each
// file is JSON or YAML, one interface or a list under `interfaces:`. Problems are collected across all files
// (a broken file never hides the others' mistakes) and reported with file and line.

import Foundation

/// The loaded interface definitions of a deployment.
public struct InterfacePool: Sendable {
    public let directory: String
    public private(set) var interfaces: [InterfaceDefinition]
    /// Every definition read and checked, kept or not (`load(keep:)`).
    public private(set) var definitionCount: Int

    public init(directory: String, interfaces: [InterfaceDefinition], definitionCount: Int? = nil) {
        self.directory = directory
        self.interfaces = interfaces
        self.definitionCount = definitionCount ?? interfaces.count
    }

    /// Interfaces of `service`.
    public func interfaces(of service: String) -> [InterfaceDefinition] {
        interfaces.filter { $0.service == service }
    }

    /// Loads the pool at `config.monitor.interfacePool`, checking services against the config. Only the definitions
    /// `keep` accepts are held: a prober of one shard in sixteen holds a sixteenth of a 100 000-interface pool.
    /// `reading`: the ids whose definitions are read and checked at all (a prober reads its shard's: the whole pool
    /// is checked by `orchestrator check` and by the orchestrator before each run); ids stay unique across the pool.
    /// `toleratingUnsetVariables`: an unset `${…}` leaves its key out instead of failing (commands that only
    /// need the ids, such as `silence add`, need no secret).
    public static func load(
        config: Config, environment: [String: String] = ProcessInfo.processInfo.environment,
        toleratingUnsetVariables: Bool = false,
        reading: (String) -> Bool = { _ in true }, keep: (InterfaceDefinition) -> Bool = { _ in true }
    ) throws -> InterfacePool {
        var interfaces: [InterfaceDefinition] = []
        let variables = Environment(environment, toleratesUnset: toleratingUnsetVariables)
        let count = try read(config: config, environment: variables, reading: reading) { if keep($0) { interfaces.append($0) } }
        // An array grown by doubling holds up to twice what it needs: 100 000 definitions are kept exactly.
        if interfaces.capacity > interfaces.count + interfaces.count / 8 {
            interfaces = interfaces.withUnsafeBufferPointer { Array($0) }
        }
        return InterfacePool(directory: config.monitor.interfacePool, interfaces: interfaces, definitionCount: count)
    }

    /// `load`, holding the kept definitions packed (what a prober holds): with the number of definitions read.
    /// `from`: read this directory instead of the configured one (a pool snapshot's copy), naming its files
    /// `<displayRoot>/<service>/…` as the original pool does.
    public static func loadPacked(
        config: Config, environment: [String: String] = ProcessInfo.processInfo.environment,
        from: (directory: String, displayRoot: String)? = nil,
        reading: (String) -> Bool = { _ in true }, keep: (InterfaceDefinition) -> Bool = { _ in true }
    ) throws -> (definitions: PackedDefinitions, read: Int) {
        var packed = PackedDefinitions()
        let count = try read(config: config, environment: Environment(environment), from: from, reading: reading) {
            if keep($0) { packed.append($0) }
        }
        packed.shrink()
        return (packed, count)
    }

    /// Reads and checks every file of the pool, keeping going past broken ones: each file that fails to load
    /// (unparsable, a wrong type, an id defined twice…) goes to `broken` with its first problem and costs only its
    /// own definitions; the others go to `each`. Throws only when the pool itself cannot be read (no directory).
    /// `idsOnly`: `each` is never called; `eachID` gets the ids of each file that loaded, and no definition is held
    /// (a 100 000-interface file is checked without keeping its definitions until its end).
    public static func loadTolerant(
        config: Config, environment: [String: String] = ProcessInfo.processInfo.environment,
        from: (directory: String, displayRoot: String)? = nil, idsOnly: Bool = false,
        each: (InterfaceDefinition) -> Void = { _ in }, eachID: (String) -> Void = { _ in }, broken: (BrokenPoolFile) -> Void
    ) throws -> Int {
        try read(
            config: config, environment: Environment(environment), from: from, reading: { _ in true }, tolerant: true, idsOnly: idsOnly,
            broken: broken, eachID: eachID, each: each)
    }

    /// Reads and checks the pool, handing each definition read to `each`; the number of definitions. With `tolerant`,
    /// a file with problems is handed there (its definitions dropped) instead of failing the whole pool.
    private static func read(
        config: Config, environment: Environment, from: (directory: String, displayRoot: String)? = nil,
        reading: (String) -> Bool, tolerant: Bool = false, idsOnly: Bool = false, broken: (BrokenPoolFile) -> Void = { _ in },
        eachID: (String) -> Void = { _ in }, each: (InterfaceDefinition) -> Void
    ) throws -> Int {
        let directory = from?.directory ?? config.monitor.interfacePool
        let displayRoot = from?.displayRoot ?? (directory as NSString).lastPathComponent
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            var message = "\(directory) is not a directory"
            if config.source == nil {
                message +=
                    "; no config.yaml was given or found in the working directory, so the built-in defaults look for "
                    + "./Interface-pool (try `orchestrator demo`, or `--config examples/config.yaml`)"
            }
            throw ConfigError([
                ConfigIssue(
                    file: config.source ?? "(built-in defaults)", line: nil, key: "monitor.interface_pool",
                    message: message)
            ])
        }
        var issues: [ConfigIssue] = []
        // Where each id was defined (file index, line), for the message about a second definition.
        var seen: [String: (file: Int32, line: Int32)] = [:]
        var sourceFiles: [String] = []
        for relative in files(in: directory) {
            let display = displayRoot + "/" + relative
            let components = relative.split(separator: "/")
            guard components.count >= 2 else {
                let issue = ConfigIssue(
                    file: display, line: nil, key: nil,
                    message: "interface files live in a folder named after their service (Interface-pool/<service>/…)")
                if tolerant { broken(BrokenPoolFile(relativePath: relative, issues: [issue])) } else { issues.append(issue) }
                continue
            }
            let service = String(components[0])
            let baseID = String(relative[..<relative.lastIndex(of: ".")!])
            let reader = ConfigReader(file: display, environment: environment)
            var slugs: [String: Int] = [:]
            var fileIDs: [String] = []
            var fileDefinitions: [InterfaceDefinition] = []
            func accept(_ id: String, _ node: Node, _ path: String) {
                // Ids become spool fields, site page names and chat lines: the one name check (RecordName).
                if let problem = RecordName.problem(service, as: .service) ?? RecordName.problem(id, as: .interface) {
                    reader.issue(node, path, problem)
                    return
                }
                guard reading(id) else {
                    if sourceFiles.last != display { sourceFiles.append(display) }
                    if seen[id] == nil { seen[id] = (Int32(sourceFiles.count - 1), Int32(clamping: node.line)) }
                    return
                }
                guard let definition = InterfaceDefinition.read(node, id: id, service: service, reader: reader, path: path) else { return }
                if let other = seen[id] {
                    reader.issue(
                        node, "",
                        "interface id \(id) is also defined in \(sourceFiles[Int(other.file)]):\(other.line); ids are unique within a "
                            + "service (give one of them another id:)")
                    return
                }
                if sourceFiles.last != definition.sourceFile { sourceFiles.append(definition.sourceFile) }
                seen[id] = (Int32(sourceFiles.count - 1), Int32(clamping: definition.sourceLine))
                // Only a tolerant read needs a file's ids (to free them when the file turns out broken); a prober's
                // read of a checked snapshot keeping them cost it 6 MB at 100 000 interfaces.
                if tolerant { fileIDs.append(id) }
                check(definition, against: config, reader: reader, node: node)
                // Tolerating broken files, a file's definitions are handed on once the whole file read without a
                // problem; otherwise as they come (a problem anywhere fails the pool, and a prober never holds more
                // than its shard's).
                if tolerant { if !idsOnly { fileDefinitions.append(definition) } } else { each(definition) }
            }
            var parseIssues: [ConfigIssue] = []
            // List items are read one by one as the parser meets them (see DocumentParser), never as a whole tree.
            var root: Node?
            do {
                root = try DocumentParser.parse(path: directory + "/" + relative, displayName: display, streamingItemsOf: "interfaces") {
                    path, item in
                    if let id = itemID(item, path: path, baseID: baseID, service: service, reader: reader, slugs: &slugs) {
                        accept(id, item, path)
                    }
                }
            } catch let error as ConfigError {
                parseIssues = error.issues
            } catch {
                parseIssues = [ConfigIssue(file: display, line: nil, key: nil, message: "\(error)")]
            }
            if let root, let list = root["interfaces"] {
                if let extra = root.entries?.first(where: { $0.key != "interfaces" }) {
                    reader.issue(line: extra.line, extra.key, "a file with an interfaces: list holds nothing else; move this key into each item")
                }
                if list.items == nil {
                    reader.issue(list, "interfaces", "expected a list of interfaces, found \(list.kindDescription)")
                }
            } else if let root, root.items == nil {
                accept(explicitID(root, service: service, reader: reader, path: "") ?? baseID, root, "")
            }
            let fileIssues = parseIssues + reader.issues
            if fileIssues.isEmpty {
                for definition in fileDefinitions { each(definition) }
                if idsOnly { for id in fileIDs { eachID(id) } }
            } else if tolerant {
                // The file costs only itself: its ids are free again for the files after it.
                for id in fileIDs { seen[id] = nil }
                broken(BrokenPoolFile(relativePath: relative, issues: fileIssues))
            } else {
                issues += fileIssues
            }
        }
        if !issues.isEmpty { throw ConfigError(sayingRepeatsOnce(issues)) }
        return seen.count
    }

    /// The same problem in many files (a service without base_url: every one of its files) said once, at its
    /// first place, with how many other files have it: 36 identical lines hide the one that differs.
    static func sayingRepeatsOnce(_ issues: [ConfigIssue]) -> [ConfigIssue] {
        var first: [String: Int] = [:]
        var others: [Int: [String]] = [:]
        var kept: [ConfigIssue] = []
        for issue in issues {
            let key = (issue.key ?? "") + "\u{0}" + issue.message
            if let index = first[key], kept[index].file != issue.file {
                others[index, default: []].append(issue.file)
                continue
            }
            if first[key] == nil { first[key] = kept.count }
            kept.append(issue)
        }
        for (index, files) in others {
            let issue = kept[index]
            let names = files.prefix(3).joined(separator: ", ") + (files.count > 3 ? ", …" : "")
            kept[index] = ConfigIssue(
                file: issue.file, line: issue.line, key: issue.key,
                message: issue.message + " (and \(files.count) other file(s) the same: \(names))")
        }
        return kept
    }

    /// Relative paths of interface files, sorted, hidden files and folders skipped.
    static func files(in directory: String) -> [String] {
        var out: [String] = []
        func walk(_ relative: String) {
            let full = relative.isEmpty ? directory : directory + "/" + relative
            for name in FileIO.listIfPresent(full) {
                let child = relative.isEmpty ? name : relative + "/" + name
                guard let st = FileIO.status(directory + "/" + child) else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    walk(child)
                } else if [".json", ".yaml", ".yml"].contains(where: { name.lowercased().hasSuffix($0) }) {
                    out.append(child)
                }
            }
        }
        walk("")
        return out.sorted()
    }

    /// The id of an item of a list. Ids never depend on position (DESIGN.md, Identity): an explicit `id:` gives
    /// `<service>/<id>`; without it a one-interface file is its path, and a list item its file's path plus `#` and
    /// a slug of its name (two items of one file with the same name must say `id:`). `slugs`: the file's slugs so far.
    private static func itemID(
        _ item: Node, path: String, baseID: String, service: String, reader: ConfigReader,
        slugs: inout [String: Int]
    ) -> String? {
        if let id = explicitID(item, service: service, reader: reader, path: path) { return id }
        guard let name = item["name"]?.scalar, !name.isEmpty else { return baseID + "#" + path }
        let slug = InterfacePool.slug(name)
        if let line = slugs[slug] {
            reader.issue(
                item["name"] ?? item, path + ".name",
                "another interface of this file (line \(line)) has the same name; "
                    + "give each an id: so that alerts and state can tell them apart")
            return nil
        }
        slugs[slug] = item.line
        return baseID + "#" + slug
    }

    /// `<service>/<id>` for an item with a valid `id:`, nil without one (an invalid one is an issue).
    private static func explicitID(_ item: Node, service: String, reader: ConfigReader, path: String) -> String? {
        guard let node = item["id"], !node.isNull else { return nil }
        guard let text = node.scalar, !text.isEmpty,
            text.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_./".unicodeScalars.contains($0) }),
            !text.hasPrefix("/"), !text.hasSuffix("/"), !text.contains("//")
        else {
            reader.issue(
                node, path.isEmpty ? "id" : path + ".id",
                "expected an id of letters, digits, - _ . and /, such as get-info or profile/get-info, found \(node.kindDescription)")
            return nil
        }
        return service + "/" + text
    }

    /// A name as an id part: letters and digits kept (lower-cased), every other run of characters one "-".
    public static func slug(_ name: String) -> String {
        var out = ""
        var dash = false
        for scalar in name.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                if dash, !out.isEmpty { out += "-" }
                dash = false
                out.unicodeScalars.append(scalar)
            } else {
                dash = true
            }
        }
        return out.isEmpty ? "_" : out
    }

    private static func check(_ definition: InterfaceDefinition, against config: Config, reader: ConfigReader, node: Node) {
        let service = config.services[definition.service]
        if definition.url.hasPrefix("/"), service?.baseURL == nil {
            reader.issue(
                node["url"] ?? node, "url",
                "the URL is relative but service \"\(definition.service)\" has no base_url in "
                    + "\(config.source.map { ($0 as NSString).lastPathComponent } ?? "the config") (services.\(definition.service).base_url)")
        }
        if definition.auth, service?.auth == nil {
            reader.issue(node["auth"] ?? node, "auth", "auth: true but service \"\(definition.service)\" has no auth section in the config")
        }
    }
}

/// An interface file that failed to load: its problems (file:line each), the first of which says why.
public struct BrokenPoolFile: Sendable, Equatable {
    /// The file's path inside the pool (`pay/endpoints.yaml`).
    public let relativePath: String
    public let issues: [ConfigIssue]

    public init(relativePath: String, issues: [ConfigIssue]) {
        self.relativePath = relativePath
        self.issues = issues
    }

    /// The first problem, `Interface-pool/pay/endpoints.yaml:12: url: …`, with how many more there are.
    public var reason: String {
        guard let first = issues.first else { return "cannot be loaded" }
        return first.description + (issues.count > 1 ? " (and \(issues.count - 1) more problem(s) in this file)" : "")
    }
}
