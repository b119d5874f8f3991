// CheckCommand: `orchestrator check` validates the config and every interface file without probing, prints
// every problem found (file:line: key: what was expected), or a summary: services and their interfaces,
// the schedule and its next three runs, probers, alerting and channels (webhook keys masked), then warnings
// (a schedule with no run in a year, env-file lines systemd ignores). `--env-file` expands ${…} with the
// variables the service will get instead of the shell's. The userinfo of every URL it prints is masked.

import Foundation
import Shared

enum CheckCommand {
    /// The config as loaded for check, with the environment it was expanded with.
    struct Loaded {
        let deployment: Deployment
        /// The variables `${…}` expanded from: the env files' alone when given, else the shell's.
        let environment: [String: String]
        /// Which env files gave them (nil: the shell's environment).
        let environmentNote: String?
        /// Lines of the env files systemd ignores.
        let ignoredLines: [String]
    }

    static func run(_ options: Options) -> Int32 {
        let loaded: Loaded
        do {
            loaded = try load(options)
        } catch let error as ConfigError {
            print("configuration has \(error.issues.count) problem(s):")
            for issue in error.issues { print(shown("  \(issue)")) }
            return 2
        } catch {
            print(shown("configuration cannot be read: \(error)"))
            return 2
        }
        let c = loaded.deployment.config
        // A location given (--location, VIGIL_LOCATION) that the service would refuse is a problem; none given
        // where locations are configured, a warning (check may run on a host that is not one of them).
        let locationProblem = LocationSettings.problem(options.location, config: c)
        if let locationProblem, options.location != nil {
            print(shown("configuration has 1 problem(s):\n  \(locationProblem)"))
            return 2
        }
        let clock = LocalClock(timeZone: c.notify.timeZone)
        var out = "configuration OK: \(c.source ?? "built-in defaults")\n"
        if let note = loaded.environmentNote { out += note + "\n" }
        out += summary(loaded.deployment, options, clock)
        out += services(loaded.deployment)
        out += alerting(c, clock)
        out += "channels: " + channelList(c.notify) + "\n"
        for warning in loaded.ignoredLines + warnings(c, environment: loaded.environment) + [locationProblem].compactMap({ $0 }) {
            out += "warning: \(warning)\n"
        }
        print(shown(out), terminator: "")
        return 0
    }

    /// The deployment, its `${…}` expanded with the --env-file variables when given (as systemd will), else the shell's.
    static func load(_ options: Options) throws -> Loaded {
        var environment = ProcessInfo.processInfo.environment
        var note: String?
        var ignored: [String] = []
        if !options.common.environmentFiles.isEmpty {
            let files = try EnvironmentFiles.load(options.common.environmentFiles)
            environment = files.variables
            ignored = files.ignored.map(\.description)
            note =
                "environment: \(files.variables.count) variable(s) from \(files.read.joined(separator: ", ")); "
                + "the shell's environment is not used, as under systemd"
        }
        let deployment = try Deployment.load(options, environment: environment)
        return Loaded(deployment: deployment, environment: environment, environmentNote: note, ignoredLines: ignored)
    }

    /// What is probably a mistake though the config is valid: a schedule that never runs, proxy variables no
    /// service uses, routes that leave no default channel.
    static func warnings(_ c: Config, environment: [String: String]) -> [String] {
        var warnings: [String] = []
        if let idle = c.monitor.schedule.idleWarning(after: Date()) { warnings.append(idle) }
        let proxyVariables = ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"]
            .filter { environment[$0]?.isEmpty == false }
        if !proxyVariables.isEmpty, !c.services.values.contains(where: { $0.http.proxy == .environment }) {
            warnings.append(
                "\(proxyVariables.joined(separator: ", ")) set, but probes go direct: a service uses the environment's "
                    + "proxy only with proxy: env")
        }
        if !c.notify.routes.isEmpty, c.notify.defaultChannels(among: c.notify.channelNames).isEmpty {
            warnings.append(
                "every channel is named by a route and notify.default_channels is not set: interfaces no route matches are "
                    + "printed by the notifier, not delivered to anyone")
        }
        return warnings
    }

    /// Spool, HTTP engine, interface pool, schedule with its next runs, and how probing runs.
    static func summary(_ deployment: Deployment, _ options: Options, _ clock: LocalClock) -> String {
        let c = deployment.config
        var out = "spool: \(deployment.spool.root)\n"
        out += "http: \(Curl.summary)\n"
        out += "interface pool: \(c.monitor.interfacePool)\n"
        out +=
            "schedule: \(c.monitor.schedule.summary); start_delay \(DurationParser.format(c.scheduler.startDelay)), "
            + "max_runtime \(DurationParser.format(c.scheduler.maxRuntime)), graceful_shutdown \(DurationParser.format(c.scheduler.gracefulShutdown))\n"
        let next = c.monitor.schedule.upcoming(after: Date(), count: 3)
        out += "next runs: " + (next.isEmpty ? "none" : next.map(clock.format).joined(separator: ", ")) + "\n"
        out +=
            "probing: \(c.scheduler.probers) prober(s) per run" + (options.hosts > 1 ? " over \(options.hosts) hosts" : "")
            + ", concurrency \(c.monitor.concurrency), timeout \(DurationParser.format(c.monitor.timeout)), "
            + "\(c.monitor.retryAttempts) retries, breaker \(c.monitor.breakerFailures) failures / \(DurationParser.format(c.monitor.breakerOpenFor))\n"
        return out
    }

    /// Every service: its interfaces and ids, base URL and token, what its `expect` gives, where its alerts go.
    static func services(_ deployment: Deployment) -> String {
        let c = deployment.config
        let pool = deployment.pool
        let services = Set(pool.interfaces.map(\.service)).union(c.services.keys).sorted()
        var out = "services (\(services.count)), \(pool.interfaces.count) interfaces:\n"
        for name in services {
            let list = pool.interfaces(of: name)
            let disabled = list.filter { !$0.enabled }.count
            let service = c.services[name]
            out +=
                "  \(name): \(list.count) interface(s)" + (disabled > 0 ? " (\(disabled) disabled)" : "")
                + (service?.baseURL.map { ", base_url \(Redactor.maskQuery(of: $0))" } ?? "")
                + (service?.auth != nil ? ", bearer token from \(Redactor.maskQuery(of: service!.auth!.url))" : "") + "\n"
            // The ids state and alerts follow: what an operator checks after moving entries around.
            let ids = list.map(\.id)
            if !ids.isEmpty {
                out += "    ids: " + ids.prefix(20).joined(separator: ", ") + (ids.count > 20 ? ", … (\(ids.count - 20) more)" : "") + "\n"
            }
            if let defaults = service?.expect { out += inheritance(of: defaults, by: list) }
            if !c.notify.routes.isEmpty { out += "    alerts go to: \(reach(of: name, c.notify))\n" }
        }
        return out
    }

    /// The alert mode and reminders, and each maintenance window with its next start.
    static func alerting(_ c: Config, _ clock: LocalClock) -> String {
        var out = "alerts: mode \(c.alerts.mode.rawValue), reminders every \(DurationParser.format(c.alerts.repeatInterval))\n"
        for w in c.maintenance {
            let next = ScheduleSetting.cron(w.schedule).next(after: Date())
            out +=
                "maintenance: \((w.services + w.interfaces).joined(separator: ", ")) for \(DurationParser.format(w.duration)) at cron "
                + "\"\(w.schedule.source)\", next \(clock.format(next, none: "never")): \(w.reason)\n"
        }
        return out
    }

    /// Every channel by name and kind, its key masked (or what happens to alerts when there is none).
    static func channelList(_ notify: NotifySettings) -> String {
        let channels = notify.configuredChannels.map { channel in
            switch channel {
            case let .wecom(s): "\(s.name) (WeCom \(Redactor.maskQuery(of: s.webhookURL)))"
            case let .dingtalk(s): "\(s.name) (DingTalk\(s.secret == nil ? "" : ", signed"))"
            case let .feishu(s): "\(s.name) (Feishu\(s.secret == nil ? "" : ", signed"))"
            case let .slack(s): "\(s.name) (Slack)"
            case let .email(s): "\(s.name) (e-mail to \(s.to.joined(separator: ", ")) via \(Redactor.maskUserinfo(s.url)))"
            case let .webhook(s): "\(s.name) (webhook \(Redactor.maskQuery(of: s.url))\(s.template == nil ? "" : ", template"))"
            }
        }
        return channels.isEmpty ? "none — alerts are printed and kept in outbox/sent/" : channels.joined(separator: ", ")
    }

    /// What check prints: the userinfo of every URL masked (a password written into base_url, an auth or a
    /// channel URL is never shown) and control characters escaped.
    static func shown(_ text: String) -> String {
        TerminalText.escape(Redactor.maskUserinfos(inText: text))
    }

    /// What a service's `expect` gives its interfaces: the checks, then who inherits them, who replaces some
    /// (and which), and who leaves them out with `inherit: false`.
    static func inheritance(of defaults: Expectation, by interfaces: [InterfaceDefinition]) -> String {
        let leftOut = interfaces.filter { !$0.expect.inherits }.map(\.id)
        let overriding = interfaces.compactMap { i -> String? in
            let replaced = i.expect.overrides(of: defaults)
            return replaced.isEmpty ? nil : "\(i.id) (\(replaced.joined(separator: ", ")))"
        }
        func list(_ items: [String]) -> String {
            items.prefix(10).joined(separator: ", ") + (items.count > 10 ? ", … (\(items.count - 10) more)" : "")
        }
        var out = "    expect for every interface: \(defaults.summary)\n"
        out += "      inherited by \(interfaces.count - leftOut.count) of \(interfaces.count)"
        if !overriding.isEmpty { out += "; replaced in part by \(list(overriding))" }
        if !leftOut.isEmpty { out += "; left out (inherit: false) by \(list(leftOut))" }
        return out + "\n"
    }

    /// Where a service's alerts go: the routes that can take its interfaces, in order, then the default.
    static func reach(of service: String, _ notify: NotifySettings) -> String {
        var parts: [String] = []
        for route in notify.routes where route.services.isEmpty || route.services.contains(service) {
            var filters: [String] = []
            if !route.severities.isEmpty { filters.append("severity " + route.severities.map(\.rawValue).joined(separator: "/")) }
            if !route.outcomes.isEmpty { filters.append("outcomes " + route.outcomes.map(\.rawValue).joined(separator: "/")) }
            if !route.kinds.isEmpty { filters.append("kinds " + route.kinds.map(\.rawValue).joined(separator: "/")) }
            parts.append(
                route.channels.joined(separator: ", ") + (filters.isEmpty ? "" : " (\(filters.joined(separator: ", ")))") + " [route \(route.source)]"
            )
            if filters.isEmpty, !route.continues { return parts.joined(separator: "; then ") }
        }
        let defaults = notify.defaultChannels(among: notify.channelNames)
        let fallback = (defaults.isEmpty ? "no channel: printed, not delivered" : defaults.joined(separator: ", ")) + " [default]"
        return parts.isEmpty ? fallback : parts.joined(separator: "; then ") + "; otherwise " + fallback
    }
}
