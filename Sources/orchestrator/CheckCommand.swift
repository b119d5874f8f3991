// CheckCommand: `orchestrator check` validates the config and every interface file without probing, prints
// every problem found (file:line: key: what was expected), or a summary: services and their interfaces,
// the schedule and its next three runs, probers, alerting and channels (webhook keys masked), then warnings
// (a schedule with no run in a year, env-file lines systemd ignores). `--env-file` expands ${…} with the
// variables the service will get instead of the shell's. The userinfo of every URL it prints is masked.

import Foundation
import Shared

enum CheckCommand {
    static func run(_ options: Options) -> Int32 {
        let deployment: Deployment
        var warnings: [String] = []
        var environmentNote: String?
        var environment = ProcessInfo.processInfo.environment
        do {
            if !options.common.environmentFiles.isEmpty {
                let files = try EnvironmentFiles.load(options.common.environmentFiles)
                environment = files.variables
                warnings += files.ignored.map(\.description)
                environmentNote =
                    "environment: \(files.variables.count) variable(s) from \(files.read.joined(separator: ", ")); "
                    + "the shell's environment is not used, as under systemd"
            }
            deployment = try Deployment.load(options, environment: environment)
        } catch let error as ConfigError {
            print("configuration has \(error.issues.count) problem(s):")
            for issue in error.issues { print(shown("  \(issue)")) }
            return 2
        } catch {
            print(shown("configuration cannot be read: \(error)"))
            return 2
        }
        let c = deployment.config
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
        var out = "configuration OK: \(c.source ?? "built-in defaults")\n"
        if let environmentNote { out += environmentNote + "\n" }
        out += "spool: \(deployment.spool.root)\n"
        out += "http: \(Curl.summary)\n"
        out += "interface pool: \(c.monitor.interfacePool)\n"
        out +=
            "schedule: \(c.monitor.schedule.summary); start_delay \(DurationParser.format(c.scheduler.startDelay)), "
            + "max_runtime \(DurationParser.format(c.scheduler.maxRuntime)), graceful_shutdown \(DurationParser.format(c.scheduler.gracefulShutdown))\n"
        let clock = LocalClock(timeZone: c.notify.timeZone)
        let next = c.monitor.schedule.upcoming(after: Date(), count: 3)
        out += "next runs: " + (next.isEmpty ? "none" : next.map(clock.format).joined(separator: ", ")) + "\n"
        out +=
            "probing: \(c.scheduler.probers) prober(s) per run" + (options.hosts > 1 ? " over \(options.hosts) hosts" : "")
            + ", concurrency \(c.monitor.concurrency), timeout \(DurationParser.format(c.monitor.timeout)), "
            + "\(c.monitor.retryAttempts) retries, breaker \(c.monitor.breakerFailures) failures / \(DurationParser.format(c.monitor.breakerOpenFor))\n"
        let pool = deployment.pool
        let services = Set(pool.interfaces.map(\.service)).union(c.services.keys).sorted()
        out += "services (\(services.count)), \(pool.interfaces.count) interfaces:\n"
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
        out += "alerts: mode \(c.alerts.mode.rawValue), reminders every \(DurationParser.format(c.alerts.repeatInterval))\n"
        for w in c.maintenance {
            let next = ScheduleSetting.cron(w.schedule).next(after: Date())
            out +=
                "maintenance: \((w.services + w.interfaces).joined(separator: ", ")) for \(DurationParser.format(w.duration)) at cron "
                + "\"\(w.schedule.source)\", next \(clock.format(next, none: "never")): \(w.reason)\n"
        }
        var channels = c.notify.wecom.map { "\($0.name) (WeCom \(Redactor.maskQuery(of: $0.webhookURL)))" }
        channels += c.notify.dingtalk.map { "\($0.name) (DingTalk\($0.secret == nil ? "" : ", signed"))" }
        channels += c.notify.feishu.map { "\($0.name) (Feishu\($0.secret == nil ? "" : ", signed"))" }
        channels += c.notify.slack.map { "\($0.name) (Slack)" }
        channels += c.notify.email.map { "\($0.name) (e-mail to \($0.to.joined(separator: ", ")) via \(Redactor.maskUserinfo($0.url)))" }
        channels += c.notify.webhooks.map { "\($0.name) (webhook \(Redactor.maskQuery(of: $0.url))\($0.template == nil ? "" : ", template"))" }
        out += "channels: " + (channels.isEmpty ? "none — alerts are printed and kept in outbox/sent/" : channels.joined(separator: ", ")) + "\n"
        for warning in warnings { out += "warning: \(warning)\n" }
        print(shown(out), terminator: "")
        return 0
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
