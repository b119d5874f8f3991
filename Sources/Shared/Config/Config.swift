// Config: the settings of a Vigil deployment, with the seed's defaults and units. Built by ConfigLoader from
// config.yaml / config.json (or from nothing: the built-in defaults). Relative paths in a file are resolved
// against the file's directory, so a unit file's working directory does not matter.

import Foundation

/// How the orchestrator decides when to start runs.
public enum ScheduleSetting: Sendable, Equatable {
    /// Every `interval` seconds, aligned to the wall clock (15 minutes: :00 :15 :30 :45).
    case interval(Double)
    /// A five-field cron expression.
    case cron(CronExpression)
}

/// `monitor:`
public struct MonitorSettings: Sendable, Equatable {
    public var schedule: ScheduleSetting = .interval(15 * 60)
    /// Per-request timeout, seconds.
    public var timeout: Double = 10
    /// Requests in flight per prober.
    public var concurrency = 5
    /// Retries after the first try (timeouts, network errors and 5xx only).
    public var retryAttempts = 3
    /// Back-off before each retry, seconds: 1, 2, 4, … doubling.
    public var retryBaseDelay: Double = 1
    public var breakerFailures = 3
    public var breakerOpenFor: Double = 300
    /// A certificate chain with fewer whole days left fails as `cert_expiring` (0: never); expect.cert_min_days
    /// overrides it per service or interface.
    public var certMinDays = 14
    /// Absolute path of the interface pool.
    public var interfacePool: String
    /// URLs that should always answer (a gateway, a public anycast address, the team's own edge): each prober
    /// fetches them first; when more than half fail, its shard is blind for the run — nothing it saw is judged,
    /// no interface changes state or pages, and the run says so once. Empty: no canaries.
    public var canaries: [String] = []
}

/// `scheduler:`
public struct SchedulerSettings: Sendable, Equatable {
    public var startDelay: Double = 5
    public var maxRuntime: Double = 3600
    public var gracefulShutdown: Double = 30
    public var probers = 1
}

/// How to get a bearer token for a service.
public struct AuthSettings: Sendable, Equatable {
    /// Relative to the service's base_url, or absolute.
    public var url: String
    public var method = "POST"
    public var headers: HeaderFields = [:]
    public var body: JSONValue?
    /// Dotted path of the token in the JSON answer.
    public var tokenField = "access_token"
    /// Dotted path of the lifetime in seconds, if the answer has one.
    public var expiresInField: String?
    /// Lifetime assumed when the answer does not say.
    public var defaultTTL: Double = 3600
    /// Header that carries the token on probes, and its scheme.
    public var header = "Authorization"
    public var scheme = "Bearer"
}

/// `services.<name>:`
public struct ServiceSettings: Sendable, Equatable {
    public var name: String
    public var baseURL: String?
    public var auth: AuthSettings?
    /// Headers added to every request of the service.
    public var headers: HeaderFields = [:]
    /// Body and header fields masked in excerpts (besides the built-in list).
    public var secretFields: [String] = []
    /// How its requests are sent: TLS, redirects, proxy, body limit, IP and HTTP versions.
    public var http = HTTPSettings()
    /// `username:password` for HTTP Basic authentication, sent as an Authorization header.
    public var basicAuth: String?
    /// Overrides of alerts.failure_threshold and alerts.success_threshold for this service.
    public var failureThreshold: Int?
    public var successThreshold: Int?
    /// Checks every interface of the service gets (`services.<name>.expect`), under the interface's own.
    public var expect: Expectation?
    /// The locations that probe the service (`services.<name>.locations`, a subset of locations.names; nil: all)
    /// and how many of them must see a failure for it to count (nil: locations.quorum, at most their number).
    public var locations: [String]?
    public var quorum: Int?
}

/// `locations:` — named places whose probers each probe every interface; an interface fails when `quorum` of them
/// see it fail, is degraded when fewer do, and a location that cannot reach its targets is blind, not a page.
public struct LocationSettings: Sendable, Equatable {
    public var names: [String]
    /// Default: a majority of `names`.
    public var quorum: Int

    public init(names: [String], quorum: Int? = nil) {
        self.names = names
        self.quorum = quorum ?? names.count / 2 + 1
    }

    /// The locations that probe `service`'s interfaces, and the quorum that applies to them.
    public func of(_ service: ServiceSettings?) -> (names: [String], quorum: Int) {
        let names = service?.locations ?? self.names
        return (names, min(service?.quorum ?? quorum, max(1, names.count)))
    }

    /// The location a host says it is at: `--location`, else VIGIL_LOCATION (empty is none).
    public static func chosen(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        flag ?? environment["VIGIL_LOCATION"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Why `location` cannot be this host's under `config` (the orchestrator, its probers and `check` ask the same),
    /// nil when it can: required when `locations:` is configured, one of its names, refused without the section.
    public static func problem(_ location: String?, config: Config) -> String? {
        if let locations = config.locations {
            guard let location else {
                return "the config names locations (\(locations.names.joined(separator: ", "))): say which one this host is at with "
                    + "--location NAME (or VIGIL_LOCATION)"
            }
            return locations.names.contains(location)
                ? nil
                : "location \"\(location)\" (--location or VIGIL_LOCATION) is not one of locations.names (\(locations.names.joined(separator: ", ")))"
        }
        return location.map { "location \"\($0)\" (--location or VIGIL_LOCATION) given, but the config names no locations: section" }
    }
}

/// `alerts:`
public struct AlertSettings: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// New failures and recoveries, plus reminders while failures last.
        case change
        /// The seed's behaviour: an alert for every run that has failures.
        case everyRun = "every_run"
    }

    public var mode = Mode.change
    public var repeatInterval: Double = 3600
    /// Alert when a run is incomplete (shards missing): a monitoring failure the team must hear about.
    public var onIncompleteRun = true
    /// Consecutive failing runs before an interface counts as down (and alerts), and consecutive passing runs
    /// before it counts as recovered. 1: the first sample decides (the seed's behaviour).
    public var failureThreshold = 1
    public var successThreshold = 1
}

/// One WeCom group robot.
public struct WeComSettings: Sendable, Equatable {
    public var name = "wecom"
    public var webhookURL: String
    public var mentionedList: [String] = []
    public var mentionedMobileList: [String] = []
}

/// A generic webhook: the alert record is POSTed as is, or a `template` filled with the alert's fields.
public struct WebhookSettings: Sendable, Equatable {
    public var name: String
    public var url: String
    public var headers: HeaderFields = [:]
    /// `{{headline}}`, `{{run}}`, … (AlertTemplate); nil: the alert record as JSON.
    public var template: AlertTemplate?
    public var contentType = "application/json"
}

/// `notify:`
public struct NotifySettings: Sendable, Equatable {
    public var wecom: [WeComSettings] = []
    public var webhooks: [WebhookSettings] = []
    public var dingtalk: [DingTalkSettings] = []
    public var feishu: [FeishuSettings] = []
    public var slack: [SlackSettings] = []
    public var email: [EmailSettings] = []
    /// In order: each interface of an alert goes to the channels of the first route that matches it (and of
    /// later ones while a matching route says `continue`); empty: every alert goes to every channel.
    public var routes: [Route] = []
    /// Where interfaces that no route matches go (nil: the channels no route names).
    public var defaultChannels: [String]?
    /// Per-delivery HTTP timeout.
    public var timeout: Double = 10
    /// Alerts older than this go to failed/ instead of being retried.
    public var maxAge: Double = 5 * 86_400
    /// Immediate retries of a failed delivery before it is deferred.
    public var quickRetries = 3
    /// Deferral back-off: the first wait, doubling up to the maximum (with jitter).
    public var backoffMin: Double = 30
    public var backoffMax: Double = 30 * 60
    /// Messages per minute per WeCom robot (WeCom allows 20).
    public var wecomPerMinute = 20
    /// Proxy and TLS settings for deliveries.
    public var http = HTTPSettings()
    /// The zone of every time a person reads in messages (default: the host's).
    public var timeZone = TimeZone.current
    /// Where reports are served (`https://vigil.example/reports`): messages link `<base>/<run>.md`.
    public var reportBaseURL: String?

    /// Every channel's name, in the order they are written by kind.
    public var channelNames: [String] { configuredChannels.map(\.name) }

    /// No channel configured: messages are printed and kept in sent/ as not delivered.
    public var isEmpty: Bool { channelNames.isEmpty }

    public init() {}
}

/// `metrics:`
public struct MetricsSettings: Sendable, Equatable {
    public enum PerInterface: String, Sendable, CaseIterable {
        case auto, all, failing, none
    }

    /// Which interfaces get per-interface series (three to five each).
    public var perInterface = PerInterface.auto
    /// With `auto`: every interface up to this many, only the failing ones beyond.
    public var perInterfaceLimit = 10_000

    public init() {}
}

/// `history:`
public struct HistorySettings: Sendable, Equatable {
    /// Day rollups and incidents older than this are removed.
    public var retention: Double = 90 * 86_400
}

/// `web:`: `orchestrator serve`, the read-only server of the status site.
public struct WebSettings: Sendable, Equatable {
    public enum Pages: String, Sendable, CaseIterable {
        case auto, all, failing
    }

    public var host = "127.0.0.1"
    public var port: UInt16 = 8080
    /// Which interfaces get a page of their own: all; those failing now or with incidents in the history; or,
    /// by default, all up to `interfacePagesLimit` interfaces and the failing ones beyond.
    public var interfacePages = Pages.auto
    public var interfacePagesLimit = 20_000
    /// Where the analyzer writes the status site and `orchestrator serve` serves it from (nil: the spool's site/).
    /// A local directory keeps the site's many small writes off a shared spool.
    public var directory: String?

    public init() {}
}

/// `spool:`
public struct SpoolSettings: Sendable, Equatable {
    public var directory: String
    public var retention: Double = 7 * 86_400
    public var minFreeBytes: UInt64 = 64 << 20
    public var groupShared = false
    /// Claims older than this are handed back by the orchestrator's janitor.
    public var lease: Double = 3600
    /// How often the analyzer and notifier look at their `new/` directories without an inotify event,
    /// counted from the start of a pass (seconds; a few on shared file systems, where inotify is blind).
    public var rescan: Double = 30
    /// Where Prometheus textfile-collector files go.
    public var metricsDirectory: String?

    public var spool: Spool {
        Spool(root: directory, permissions: groupShared ? .groupShared : .private, floorBytes: minFreeBytes)
    }
}

/// A whole configuration.
public struct Config: Sendable, Equatable {
    /// The file it came from (nil: built-in defaults).
    public var source: String?
    public var monitor: MonitorSettings
    public var scheduler = SchedulerSettings()
    public var services: [String: ServiceSettings] = [:]
    /// Several locations paging on a quorum (nil: one location, as before).
    public var locations: LocationSettings?
    public var alerts = AlertSettings()
    public var notify = NotifySettings()
    public var history = HistorySettings()
    public var metrics = MetricsSettings()
    public var web = WebSettings()
    public var spool: SpoolSettings
    /// `maintenance:` windows.
    public var maintenance: [MaintenanceWindow] = []
    /// Keys left out because their `${…}` variable is not set (only when loaded tolerating that: the
    /// commands that read the spool need no secret). Empty for a config loaded to run.
    public var unresolved: [UnsetReference] = []

    /// The built-in defaults, relative to `directory` (the working directory).
    public static func defaults(directory: String = FileManager.default.currentDirectoryPath) -> Config {
        Config(
            source: nil,
            monitor: MonitorSettings(interfacePool: Paths.resolve("Interface-pool", against: directory)),
            spool: SpoolSettings(directory: Paths.resolve("spool", against: directory)))
    }
}

/// Path helpers.
public enum Paths {
    /// `path` if absolute, else joined to `directory` and normalized.
    public static func resolve(_ path: String, against directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        return (joined as NSString).standardizingPath
    }

    /// The directory that holds the running executable (its siblings are the other Vigil programs).
    public static var executableDirectory: String {
        if let override = ProcessInfo.processInfo.environment["VIGIL_BIN_DIR"], !override.isEmpty { return override }
        let exe =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }
}
