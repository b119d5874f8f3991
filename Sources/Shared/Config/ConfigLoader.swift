// ConfigLoader: turns config.yaml / config.json into a Config, applying defaults and checking every key.
// All problems are collected and thrown together as one ConfigError; a config with any problem is never
// half-applied. Secrets met on the way (passwords, webhook keys) are registered with the Redactor.

import Foundation

/// Loads configuration files.
public enum ConfigLoader {
    /// Loads `path`; with no path, `config.yaml` or `config.json` in the working directory if present,
    /// else the built-in defaults.
    /// `toleratingUnsetVariables`: a `${NAME}` whose variable is not set leaves its key out (listed in
    /// `Config.unresolved`) instead of failing the load; for commands that only read the spool.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        toleratingUnsetVariables: Bool = false
    ) throws -> Config {
        let cwd = FileManager.default.currentDirectoryPath
        var chosen = path ?? environment["VIGIL_CONFIG"]
        if chosen == nil {
            chosen = ["config.yaml", "config.yml", "config.json"].first { FileManager.default.fileExists(atPath: cwd + "/" + $0) }
        }
        guard let chosen else { return Config.defaults(directory: cwd) }
        let absolute = Paths.resolve(chosen, against: cwd)
        guard FileManager.default.fileExists(atPath: absolute) else {
            throw ConfigError([ConfigIssue(file: chosen, line: nil, key: nil, message: "no such file")])
        }
        let root = try DocumentParser.parse(path: absolute, displayName: chosen)
        return try decode(
            root, file: chosen, directory: (absolute as NSString).deletingLastPathComponent,
            environment: Environment(environment, toleratesUnset: toleratingUnsetVariables), source: absolute)
    }

    /// Builds a Config from a parsed document.
    public static func decode(
        _ root: Node, file: String, directory: String, environment: Environment,
        source: String?
    ) throws -> Config {
        let reader = ConfigReader(file: file, environment: environment)
        var config = read(root, reader: reader, directory: directory, source: source)
        if !reader.issues.isEmpty { throw ConfigError(reader.issues) }
        config.unresolved = reader.unresolved
        return config
    }

    /// Every key the loader reads, with its range where it has one, found by reading `root` (a document that
    /// has every section): what docs/configuration.md must list.
    public static func knownKeys(readingEverySectionOf root: Node) -> [String: String] {
        let reader = ConfigReader(file: "", environment: Environment([:]))
        reader.recordsKeys = true
        _ = read(root, reader: reader, directory: "/", source: nil)
        return reader.knownKeys
    }

    private static func read(_ root: Node, reader: ConfigReader, directory: String, source: String?) -> Config {
        var config = Config.defaults(directory: directory)
        config.source = source
        if root.isNull {
            // "~" or "null" is content: reading it as "no settings" would put the defaults in its place.
            reader.issue(root, "", "the file holds only null; write the settings as \"key: value\" lines (an empty file means the defaults)")
            return config
        }
        guard let top = reader.fields(root, path: "") else { return config }
        readMonitor(top.node("monitor"), reader, directory, &config)
        readScheduler(top.node("scheduler"), reader, &config)
        config.services = readServices(top.node("services"), reader, directory)
        config.locations = readLocations(top.node("locations"), reader, services: config.services)
        readAlerts(top.node("alerts"), reader, &config)
        config.notify = readNotify(top.node("notify"), reader, directory)
        readSpool(top.node("spool"), reader, directory, &config)
        config.maintenance = readMaintenance(top.node("maintenance"), reader)
        if let m = reader.fields(top.node("metrics"), path: "metrics") {
            if let mode = m.choice("per_interface", MetricsSettings.PerInterface.allCases.map(\.rawValue)) {
                config.metrics.perInterface = MetricsSettings.PerInterface(rawValue: mode) ?? .auto
            }
            config.metrics.perInterfaceLimit = m.int("per_interface_limit", range: 0...10_000_000) ?? config.metrics.perInterfaceLimit
            m.finish()
        }
        if let h = reader.fields(top.node("history"), path: "history") {
            config.history.retention = h.duration("retention", unit: .days, range: Limits.day...(10 * Limits.year)) ?? config.history.retention
            h.finish()
        }
        if let w = reader.fields(top.node("web"), path: "web") {
            if let listen = w.string("listen") {
                // host:port, [v6]:port or :port
                let colon = listen.lastIndex(of: ":")
                let host = colon.map { String(listen[..<$0]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")) } ?? ""
                if let colon, let port = UInt16(listen[listen.index(after: colon)...]), port > 0 {
                    config.web.host = host.isEmpty ? "127.0.0.1" : host
                    config.web.port = port
                } else {
                    reader.issue(w.node("listen"), "web.listen", "expected host:port such as 127.0.0.1:8080 or :8080, found \"\(listen)\"")
                }
            }
            if let pages = w.choice("interface_pages", WebSettings.Pages.allCases.map(\.rawValue)) {
                config.web.interfacePages = WebSettings.Pages(rawValue: pages) ?? .auto
            }
            config.web.interfacePagesLimit = w.int("interface_pages_limit", range: 0...10_000_000) ?? config.web.interfacePagesLimit
            if let dir = w.string("dir") { config.web.directory = Paths.resolve(dir, against: directory) }
            w.finish()
        }
        checkOneSchedule(root, reader)
        top.finish()
        return config
    }

    /// `locations: {names: [bj, sh, sg], quorum: 2}`; checks the services' `locations:` and `quorum:` against it.
    private static func readLocations(_ node: Node?, _ reader: ConfigReader, services: [String: ServiceSettings]) -> LocationSettings? {
        let named = services.filter { $0.value.locations != nil || $0.value.quorum != nil }.keys.sorted()
        guard let f = reader.fields(node, path: "locations") else {
            for name in named {
                reader.issue(line: nil, "services.\(name).locations", "a service's locations or quorum need a top-level locations: section")
            }
            return nil
        }
        defer { f.finish() }
        let names = f.strings("names") ?? []
        for name in names where RecordName.problem(name, as: .service) != nil || name.contains(".") || name.contains("/") {
            reader.issue(f.node("names"), "locations.names", "\"\(name)\" is not a location name (letters, digits, - and _)")
        }
        guard !names.isEmpty, Set(names).count == names.count else {
            reader.issue(f.node("names") ?? node, "locations.names", "expected a list of distinct location names such as [bj, sh, sg]")
            return nil
        }
        let quorum = f.int("quorum", range: 1...100)
        if let quorum, quorum > names.count {
            reader.issue(f.node("quorum"), "locations.quorum", "\(quorum) is more than the \(names.count) location(s) named")
        }
        let settings = LocationSettings(names: names, quorum: quorum.map { min($0, names.count) })
        for name in named {
            let unknown = (services[name]?.locations ?? []).filter { !names.contains($0) }
            if !unknown.isEmpty {
                reader.issue(
                    line: nil, "services.\(name).locations",
                    "\(unknown.joined(separator: ", ")) not in locations.names (\(names.joined(separator: ", ")))")
            }
            if let q = services[name]?.quorum, q > (services[name]?.locations ?? names).count {
                reader.issue(
                    line: nil, "services.\(name).quorum", "\(q) is more than the service's \((services[name]?.locations ?? names).count) location(s)")
            }
        }
        return settings
    }

    private static func readMonitor(_ node: Node?, _ reader: ConfigReader, _ directory: String, _ config: inout Config) {
        guard let f = reader.fields(node, path: "monitor") else { return }
        if let interval = f.duration("interval", unit: .minutes, range: Limits.interval) { config.monitor.schedule = .interval(interval) }
        if let cron = readSchedule(f, reader) { config.monitor.schedule = .cron(cron) }
        config.monitor.timeout = f.duration("timeout", unit: .seconds, range: Limits.requestTimeout) ?? config.monitor.timeout
        config.monitor.concurrency = f.int("concurrency", range: 1...10_000) ?? config.monitor.concurrency
        config.monitor.retryAttempts = f.int("retry_attempts", range: 0...10) ?? config.monitor.retryAttempts
        config.monitor.retryBaseDelay = f.duration("retry_delay", unit: .seconds, range: 0...3600) ?? config.monitor.retryBaseDelay
        if let breaker = reader.fields(f.node("circuit_breaker"), path: "monitor.circuit_breaker") {
            config.monitor.breakerFailures = breaker.int("failures", range: 1...1000) ?? config.monitor.breakerFailures
            config.monitor.breakerOpenFor = breaker.duration("open_for", unit: .seconds, range: 1...Limits.week) ?? config.monitor.breakerOpenFor
            breaker.finish()
        }
        config.monitor.certMinDays = f.int("cert_min_days", range: 0...3650) ?? config.monitor.certMinDays
        if let pool = f.string("interface_pool") { config.monitor.interfacePool = Paths.resolve(pool, against: directory) }
        if let canaries = f.strings("canaries") {
            for (i, url) in canaries.enumerated() {
                guard URLCheck.isHTTP(url) else {
                    reader.issue(
                        f.node("canaries")?.items?[i] ?? f.node("canaries"), "monitor.canaries[\(i)]",
                        "expected an http(s) URL such as https://gateway.example/health, found \"\(url)\"")
                    continue
                }
                for value in URLCheck.queryValues(url) { reader.remember(secret: value) }
                config.monitor.canaries.append(url)
            }
            if canaries.count > 20 { reader.issue(f.node("canaries"), "monitor.canaries", "at most 20 canaries, found \(canaries.count)") }
        }
        f.finish()
    }

    private static func readSchedule(_ f: Fields, _ reader: ConfigReader) -> CronExpression? {
        guard let node = f.node("schedule"), let text = reader.text(node, f.path + ".schedule") else { return nil }
        do {
            return try CronExpression(parsing: text)
        } catch {
            reader.issue(node, f.path + ".schedule", "\(error)")
            return nil
        }
    }

    /// `monitor.interval`, `monitor.schedule` and `scheduler.schedule` each set the schedule: more than one is
    /// refused, never resolved by a silent precedence.
    private static func checkOneSchedule(_ root: Node, _ reader: ConfigReader) {
        let set = [("monitor", "interval"), ("monitor", "schedule"), ("scheduler", "schedule")].compactMap { section, key in
            root[section]?[key].flatMap { $0.isNull ? nil : (section + "." + key, $0) }
        }
        guard set.count > 1 else { return }
        reader.issue(
            set[1].1, set[1].0,
            "\(set.map(\.0).joined(separator: " and ")) both set the schedule; keep only one "
                + "(interval: a fixed period aligned to the clock; schedule: a cron expression)")
    }

    private static func readScheduler(_ node: Node?, _ reader: ConfigReader, _ config: inout Config) {
        guard let f = reader.fields(node, path: "scheduler") else { return }
        config.scheduler.startDelay = f.duration("start_delay", unit: .seconds, range: 0...3600) ?? config.scheduler.startDelay
        config.scheduler.maxRuntime = f.duration("max_runtime", unit: .seconds, range: 1...Limits.week) ?? config.scheduler.maxRuntime
        config.scheduler.gracefulShutdown =
            f.duration("graceful_shutdown", unit: .seconds, range: 0...3600)
            ?? config.scheduler.gracefulShutdown
        config.scheduler.probers = f.int("probers", range: 1...256) ?? config.scheduler.probers
        if let cron = readSchedule(f, reader) { config.monitor.schedule = .cron(cron) }
        f.finish()
    }

    private static func readServices(_ node: Node?, _ reader: ConfigReader, _ directory: String) -> [String: ServiceSettings] {
        guard let f = reader.fields(node, path: "services") else { return [:] }
        var services: [String: ServiceSettings] = [:]
        for entry in f.node.entries ?? [] {
            let path = "services." + entry.key
            guard let s = reader.fields(f.node(entry.key) ?? Node(.scalar("", .plain), line: entry.line), path: path) else { continue }
            var service = ServiceSettings(name: entry.key)
            if let base = s.string("base_url") {
                if URLCheck.isHTTP(base) {
                    service.baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
                } else {
                    reader.issue(s.node("base_url"), path + ".base_url", "expected an http:// or https:// URL, found \"\(base)\"")
                }
            }
            service.headers = HeaderFields(s.stringPairs("headers") ?? [])
            service.secretFields = (s.strings("secret_fields") ?? []).map { $0.lowercased() }
            service.auth = readAuth(s.node("auth"), reader, path: path + ".auth")
            service.http = HTTPSettingsReader.read(s, reader, directory: directory, base: service.http)
            service.failureThreshold = s.int("failure_threshold", range: 1...100)
            service.successThreshold = s.int("success_threshold", range: 1...100)
            service.locations = s.strings("locations")
            service.quorum = s.int("quorum", range: 1...100)
            if let node = s.node("expect") { service.expect = Expectation.read(node, reader, path: path + ".expect", interface: false) }
            if let basic = reader.fields(s.node("basic_auth"), path: path + ".basic_auth") {
                let username = basic.string("username", required: true)
                let password = basic.string("password", required: true)
                if let username, let password {
                    service.basicAuth = (username + ":" + password)
                    reader.remember(secret: password)
                }
                basic.finish()
            }
            s.finish()
            services[entry.key] = service
        }
        return services
    }

    private static func readAuth(_ node: Node?, _ reader: ConfigReader, path: String) -> AuthSettings? {
        guard let a = reader.fields(node, path: path) else { return nil }
        // Every key is read even when url is missing, so that the other keys are not reported as unknown.
        let url = a.string("url", required: true)
        var auth = AuthSettings(url: url ?? "")
        auth.method = (a.choice("method", ["GET", "POST", "PUT"]) ?? auth.method)
        auth.headers = HeaderFields(a.stringPairs("headers") ?? [])
        if let body = a.node("body") {
            let value = reader.json(body, path + ".body")
            for secret in value.values(of: Secrets.fieldNames) { reader.remember(secret: secret) }
            auth.body = value
        }
        auth.tokenField = a.string("token_field") ?? auth.tokenField
        auth.expiresInField = a.string("expires_in_field")
        auth.defaultTTL = a.duration("default_ttl", unit: .seconds, range: 1...Limits.year) ?? auth.defaultTTL
        auth.header = a.string("header") ?? auth.header
        auth.scheme = a.string("scheme") ?? auth.scheme
        for header in auth.headers.fields where ConfigReader.looksSecret(header.name) || header.name.lowercased() == "authorization" {
            reader.remember(secret: header.value)
        }
        a.finish()
        return url == nil ? nil : auth
    }

    /// `maintenance: [{services: [...], interfaces: [...], schedule: "0 2 * * SUN", duration: 2h, reason: "..."}]`
    private static func readMaintenance(_ node: Node?, _ reader: ConfigReader) -> [MaintenanceWindow] {
        guard let node else { return [] }
        guard let items = node.items else {
            reader.issue(node, "maintenance", "expected a list of windows such as [{services: [pay], schedule: \"0 2 * * SUN\", duration: 2h}]")
            return []
        }
        return items.enumerated().compactMap { i, item in
            let path = "maintenance[\(i)]"
            guard let w = reader.fields(item, path: path) else { return nil }
            let services = w.strings("services") ?? []
            let interfaces = w.strings("interfaces") ?? []
            let schedule = readSchedule(w, reader)
            let duration = w.duration("duration", unit: .minutes, range: 60...Limits.week)
            let reason = w.string("reason") ?? "maintenance"
            if services.isEmpty && interfaces.isEmpty {
                reader.issue(item, path, "a window needs services or interfaces (ids or globs such as pay/*)")
            }
            if w.node("schedule") == nil { reader.issue(item, path + ".schedule", "missing; this key is required (a cron expression)") }
            if w.node("duration") == nil { reader.issue(item, path + ".duration", "missing; this key is required (such as 2h)") }
            w.finish()
            guard let schedule, let duration else { return nil }
            return MaintenanceWindow(services: services, interfaces: interfaces, schedule: schedule, duration: duration, reason: reason)
        }
    }

    private static func readAlerts(_ node: Node?, _ reader: ConfigReader, _ config: inout Config) {
        guard let f = reader.fields(node, path: "alerts") else { return }
        if let mode = f.choice("mode", ["change", "every_run"]) { config.alerts.mode = AlertSettings.Mode(rawValue: mode)! }
        config.alerts.repeatInterval = f.duration("repeat_interval", unit: .minutes, range: 60...30 * Limits.day) ?? config.alerts.repeatInterval
        config.alerts.onIncompleteRun = f.bool("on_incomplete_run") ?? config.alerts.onIncompleteRun
        config.alerts.failureThreshold = f.int("failure_threshold", range: 1...100) ?? config.alerts.failureThreshold
        config.alerts.successThreshold = f.int("success_threshold", range: 1...100) ?? config.alerts.successThreshold
        f.finish()
    }

    static func listOrOne(_ node: Node?) -> [Node] {
        guard let node else { return [] }
        return node.items ?? [node]
    }

    private static func readSpool(_ node: Node?, _ reader: ConfigReader, _ directory: String, _ config: inout Config) {
        guard let f = reader.fields(node, path: "spool") else { return }
        if let dir = f.string("dir") { config.spool.directory = Paths.resolve(dir, against: directory) }
        config.spool.retention = f.duration("retention", unit: .days, range: 3600...3650 * Limits.day) ?? config.spool.retention
        config.spool.minFreeBytes = f.bytes("min_free", maximum: 1 << 50) ?? config.spool.minFreeBytes
        config.spool.groupShared = f.bool("group_shared") ?? config.spool.groupShared
        config.spool.lease = f.duration("lease", unit: .seconds, range: 10...Limits.week) ?? config.spool.lease
        config.spool.rescan = f.duration("rescan", unit: .seconds, range: 0.2...3600) ?? config.spool.rescan
        if let dir = f.string("metrics_dir") { config.spool.metricsDirectory = Paths.resolve(dir, against: directory) }
        f.finish()
    }
}

/// The accepted ranges shared by several keys, in seconds (docs/configuration.md lists every key's range).
public enum Limits {
    public static let day: Double = 86_400
    public static let week: Double = 7 * day
    public static let year: Double = 365 * day
    /// monitor.interval: from one second to a week.
    public static let interval: ClosedRange<Double> = 1...week
    /// Per-request timeouts (monitor.timeout, an interface's timeout).
    public static let requestTimeout: ClosedRange<Double> = 0.001...3600
}

/// Names of fields whose values are credentials wherever they appear (bodies, headers).
public enum Secrets {
    public static let fieldNames: Set<String> = [
        "password", "passwd", "secret", "client_secret", "token", "access_token", "refresh_token", "api_key",
        "apikey", "authorization", "private_key",
    ]
}

/// URL checks for config values.
public enum URLCheck {
    public static func isHTTP(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil else { return false }
        return scheme == "http" || scheme == "https"
    }

    /// The values of a URL's query parameters (webhook keys live there).
    public static func queryValues(_ text: String) -> [String] {
        URLComponents(string: text)?.queryItems?.compactMap(\.value) ?? []
    }
}
