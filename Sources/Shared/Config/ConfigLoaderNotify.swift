// ConfigLoaderNotify: the `notify:` section of config.yaml — timing, the WeCom robot and the webhooks — read
// into NotifySettings (ConfigLoader.read calls it; the channels themselves are NotifyChannels').

import Foundation

extension ConfigLoader {
    static func readNotify(_ node: Node?, _ reader: ConfigReader, _ directory: String) -> NotifySettings {
        var notify = NotifySettings()
        guard let f = reader.fields(node, path: "notify") else { return notify }
        notify.http = HTTPSettingsReader.read(f, reader, directory: directory, base: notify.http, keys: [.proxy, .tls])
        if let zone = f.string("timezone") {
            if let tz = TimeZone(identifier: zone) {
                notify.timeZone = tz
            } else {
                reader.issue(f.node("timezone"), "notify.timezone", "expected a time zone such as Asia/Shanghai or UTC, found \"\(zone)\"")
            }
        }
        if let base = f.string("report_base_url") {
            if URLCheck.isHTTP(base) {
                notify.reportBaseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
            } else {
                reader.issue(f.node("report_base_url"), "notify.report_base_url", "expected an http:// or https:// URL, found \"\(base)\"")
            }
        }
        readTiming(f, reader, into: &notify)
        readWeCom(f, reader, into: &notify)
        readWebhooks(f, reader, into: &notify)
        NotifyChannelsReader.read(f, reader, into: &notify)
        NotifyChannelsReader.readEmail(f, reader, directory: directory, into: &notify)
        let names = notify.channelNames
        for name in Set(names) where names.filter({ $0 == name }).count > 1 {
            reader.issue(node, "notify", "two channels are named \"\(name)\"; give each a distinct name")
        }
        NotifyChannelsReader.readRoutes(f, reader, into: &notify)
        f.finish()
        return notify
    }

    /// How long a delivery may take, how old an alert may be, and how failed deliveries are retried.
    static func readTiming(_ f: Fields, _ reader: ConfigReader, into notify: inout NotifySettings) {
        notify.timeout = f.duration("timeout", unit: .seconds, range: 0.1...600) ?? notify.timeout
        notify.maxAge = f.duration("max_age", unit: .days, range: 3600...Limits.year) ?? notify.maxAge
        notify.quickRetries = f.int("quick_retries", range: 0...10) ?? notify.quickRetries
        notify.backoffMin = f.duration("backoff_min", unit: .seconds, range: 0.1...Limits.day) ?? notify.backoffMin
        notify.backoffMax = f.duration("backoff_max", unit: .seconds, range: 0.1...Limits.week) ?? notify.backoffMax
        notify.wecomPerMinute = f.int("wecom_per_minute", range: 1...1000) ?? notify.wecomPerMinute
        if notify.backoffMax < notify.backoffMin {
            reader.issue(f.node("backoff_max"), "notify.backoff_max", "must not be shorter than notify.backoff_min")
        }
    }

    /// `notify.wecom`: one robot or a list of them; the webhook URL and its query values are secrets.
    static func readWeCom(_ f: Fields, _ reader: ConfigReader, into notify: inout NotifySettings) {
        for (i, robot) in listOrOne(f.node("wecom")).enumerated() {
            let path = "notify.wecom" + (f.node("wecom")?.items == nil ? "" : "[\(i)]")
            guard let w = reader.fields(robot, path: path) else { continue }
            let name = w.string("name") ?? (i == 0 ? "wecom" : "wecom-\(i + 1)")
            // An empty webhook_url (e.g. "${WECOM_WEBHOOK_URL:-}") means "not configured": print instead.
            if let url = w.string("webhook_url"), !url.isEmpty {
                if URLCheck.isHTTP(url) {
                    reader.remember(secret: url)
                    for value in URLCheck.queryValues(url) { reader.remember(secret: value) }
                    notify.wecom.append(
                        WeComSettings(
                            name: name, webhookURL: url,
                            mentionedList: w.strings("mentioned_list") ?? [],
                            mentionedMobileList: w.strings("mentioned_mobile_list") ?? []))
                } else {
                    reader.issue(w.node("webhook_url"), path + ".webhook_url", "expected an http:// or https:// URL")
                }
            }
            _ = w.node("mentioned_list")
            _ = w.node("mentioned_mobile_list")
            w.finish()
        }
    }

    /// `notify.webhooks`: generic HTTP hooks; the URL's query values and secret-looking headers are secrets.
    static func readWebhooks(_ f: Fields, _ reader: ConfigReader, into notify: inout NotifySettings) {
        for (i, hook) in listOrOne(f.node("webhooks")).enumerated() {
            let path = "notify.webhooks[\(i)]"
            guard let w = reader.fields(hook, path: path) else { continue }
            let name = w.string("name") ?? "webhook-\(i + 1)"
            if let url = w.string("url", required: true), !url.isEmpty {
                if URLCheck.isHTTP(url) {
                    for value in URLCheck.queryValues(url) { reader.remember(secret: value) }
                    let headers = HeaderFields(w.stringPairs("headers") ?? [])
                    for header in headers.fields where header.name.lowercased() == "authorization" || ConfigReader.looksSecret(header.name) {
                        reader.remember(secret: header.value)
                    }
                    var webhook = WebhookSettings(name: name, url: url, headers: headers)
                    webhook.contentType = w.string("content_type") ?? webhook.contentType
                    if let node = w.node("template"), let text = reader.text(node, path + ".template") {
                        do {
                            webhook.template = try AlertTemplate(parsing: text, json: webhook.contentType.lowercased().contains("json"))
                        } catch {
                            reader.issue(node, path + ".template", "\(error)")
                        }
                    }
                    notify.webhooks.append(webhook)
                } else {
                    reader.issue(w.node("url"), path + ".url", "expected an http:// or https:// URL")
                }
            }
            _ = w.node("headers")
            _ = w.node("template")
            _ = w.node("content_type")
            w.finish()
        }
    }
}
