// Probe: one interface, probed once per run with retries. Only retryable failures (timeouts, network
// errors, 5xx) are retried, after 1 s, 2 s, 4 s (monitor.retry_delay doubling); a 401 from the target
// renews the service's token once. While the interface's circuit is open it gets a single attempt, and its
// result (the real outcome) is marked with circuit_open_since. The result carries the excerpts with secrets
// masked.

import Foundation
import Shared

/// Everything a probe needs that is the same for the whole run; a class, so that a probe's frames hold a
/// reference to it, not a copy of the configuration.
final class ProbeContext: Sendable {
    let run: String
    let shard: Shard
    let config: Config
    let client: HTTPClient
    let tokens: TokenStore
    let stop: StopSignal
    /// This prober's location (`--location`), written on every result; nil with one location.
    let location: String?

    init(run: String, shard: Shard, config: Config, client: HTTPClient, tokens: TokenStore, stop: StopSignal, location: String? = nil) {
        self.location = location
        self.run = run
        self.shard = shard
        self.config = config
        self.client = client
        self.tokens = tokens
        self.stop = stop
    }
}

enum Probe {
    /// Probes `definition` (with its retries); the state it ends with holds the result.
    ///
    /// A thousand probes in flight each keep their chain of suspended frames, so everything a probe keeps
    /// between its awaits lives in one `Attempts` object and this function's frame holds little more than a
    /// reference to it (holding the records themselves made it 8.5 KB; the whole chain was 16 KB a probe).
    static func run(_ definition: InterfaceDefinition, decision: BreakerDecision, context: ProbeContext) async -> Attempts {
        let probe = Attempts(definition, decision: decision, context: context)
        while probe.wantsAttempt {
            if probe.needsToken {
                guard await probe.fetchToken() else { break }
            }
            guard probe.prepare() else { break }
            await probe.send()
            if probe.tokenRejected {
                // The token may have been revoked early: renew it once and try again at once.
                if await probe.renewToken() { continue }
            }
            guard let delay = probe.recordAttempt() else { break }
            if delay > 0 {
                // The back-off ends early on SIGTERM: a stopping prober reports what it has.
                guard await context.stop.sleep(delay) else { break }
            }
        }
        return probe
    }

    /// One probe between its awaits. Used by one task at a time (the probe's, then the run's once it is
    /// done), hence unchecked.
    final class Attempts: @unchecked Sendable {
        let definition: InterfaceDefinition
        let context: ProbeContext
        private(set) var result: ProbeResult
        private let timeout: TimeInterval
        private let maxAttempts: Int
        private let http: HTTPSettings
        private let checks: (expect: Expectation, secretFields: Set<String>)
        private var token: String?
        private var renewedToken = false
        private var request: OutgoingRequest?
        private var outcome: Result<HTTPResponse, HTTPFailure>?
        private var sent = Date()
        private var done = false

        @inline(never)
        init(_ definition: InterfaceDefinition, decision: BreakerDecision, context: ProbeContext) {
            self.definition = definition
            self.context = context
            result = Probe.start(definition, decision: decision, context: context)
            timeout = definition.timeout ?? context.config.monitor.timeout
            if case .once = decision { maxAttempts = 1 } else { maxAttempts = 1 + context.config.monitor.retryAttempts }
            http = Probe.settings(for: definition, context: context)
            checks = Probe.expectation(for: definition, context: context)
        }

        var wantsAttempt: Bool { !done }

        var needsToken: Bool { definition.auth && token == nil }

        /// The service's token; false (the result says why) when there is none.
        @inline(never)
        func fetchToken() async -> Bool {
            do {
                token = try await context.tokens.token(for: definition.service)
                return true
            } catch {
                failAuth(error)
                return false
            }
        }

        @inline(never)
        private func failAuth(_ error: Error) {
            result.outcome = .auth
            result.error = Redactor.redact("no token for service \(definition.service): \(error)")
        }

        /// The next attempt's request; false (the result says why) when there is none to send.
        @inline(never)
        func prepare() -> Bool {
            request = Probe.prepare(definition, token: token, context: context, result: &result)
            return request != nil
        }

        @inline(never)
        func send() async {
            guard let exchange = exchange() else { return }
            await context.client.send(exchange)
            outcome = exchange.outcome ?? .failure(.cancelled)
        }

        /// The prepared request as an exchange (its frames hold only a reference to it).
        @inline(never)
        private func exchange() -> HTTPExchange? {
            guard let request else { return nil }
            sent = Date()
            self.request = nil
            return HTTPExchange(request, timeout: timeout, settings: http)
        }

        /// A 401 with a token not yet renewed.
        var tokenRejected: Bool {
            guard case let .success(response) = outcome, response.status == 401, definition.auth, !renewedToken else { return false }
            return token != nil
        }

        /// Renews the rejected token once; whether there is a new one to try.
        @inline(never)
        func renewToken() async -> Bool {
            renewedToken = true
            let rejected = token
            token = try? await context.tokens.token(for: definition.service, rejecting: rejected)
            return token != nil
        }

        /// Records the attempt's outcome; the delay before the next attempt, nil when this one was the last.
        @inline(never)
        func recordAttempt() -> TimeInterval? {
            guard let outcome else { return nil }
            let retryable = Probe.record(outcome, sent: sent, checks: checks, into: &result)
            self.outcome = nil
            guard retryable, result.attempts < maxAttempts, !context.stop.isStopping else {
                done = true
                return nil
            }
            return context.config.monitor.retryBaseDelay * pow(2, Double(result.attempts - 1))
        }
    }

    /// The result before any attempt, marked when the circuit is open (it is probed all the same).
    @inline(never)
    static func start(_ definition: InterfaceDefinition, decision: BreakerDecision, context: ProbeContext) -> ProbeResult {
        let service = context.config.services[definition.service]
        var result = ProbeResult(
            run: context.run, shard: context.shard, id: definition.id, service: definition.service,
            name: definition.name, method: definition.method,
            url: RequestBuilder.resolve(definition.url, service: service), outcome: .ok, attempts: 0,
            startedAt: Date())
        result.failureThreshold = definition.failureThreshold
        result.successThreshold = definition.successThreshold
        result.location = context.location
        if case let .once(since, _, _) = decision { result.circuitOpenSince = since }
        return result
    }

    /// The service's HTTP settings with the interface's overrides.
    @inline(never)
    static func settings(for definition: InterfaceDefinition, context: ProbeContext) -> HTTPSettings {
        var http = context.config.services[definition.service]?.http ?? HTTPSettings()
        http.followRedirects = definition.followRedirects ?? http.followRedirects
        http.maxRedirects = definition.maxRedirects ?? http.maxRedirects
        http.maxBodyBytes = definition.maxBodyBytes ?? http.maxBodyBytes
        return http
    }

    /// What the answer must be: the interface's `expect` over its service's, with monitor.cert_min_days when
    /// neither sets it; and the names whose values a failing check must not quote.
    @inline(never)
    static func expectation(for definition: InterfaceDefinition, context: ProbeContext) -> (expect: Expectation, secretFields: Set<String>) {
        let service = context.config.services[definition.service]
        var expect = definition.expect.applied(over: service?.expect)
        expect.certMinDays = expect.certMinDays ?? context.config.monitor.certMinDays
        return (expect, Set(service?.secretFields ?? []))
    }

    /// The request of the next attempt, counted in `result`; nil (with the reason in `result`) when the
    /// definition cannot be turned into one.
    @inline(never)
    static func prepare(
        _ definition: InterfaceDefinition, token: String?, context: ProbeContext, result: inout ProbeResult
    ) -> OutgoingRequest? {
        let service = context.config.services[definition.service]
        let authHeader = service?.auth.map { (name: $0.header, scheme: $0.scheme) }
        let built: BuiltRequest
        do {
            built = try RequestBuilder.build(definition, service: service, token: token, authHeader: authHeader)
        } catch {
            result.outcome = .connection
            result.error = "\(error)"
            return nil
        }
        result.url = built.displayURL
        result.request = built.excerpt
        result.attempts += 1
        return built.request
    }

    /// Records what an attempt got; whether it may be retried.
    @inline(never)
    static func record(
        _ outcome: Result<HTTPResponse, HTTPFailure>, sent: Date, checks: (expect: Expectation, secretFields: Set<String>),
        into result: inout ProbeResult
    ) -> Bool {
        let verdict: Verdict
        switch outcome {
        case let .success(response):
            result.status = response.status
            result.latencyMs = (response.latency * 10_000).rounded() / 10
            result.response = RequestBuilder.excerpt(of: response)
            result.timings = response.timings
            result.remoteIP = response.remoteIP
            result.httpVersion = response.httpVersion
            result.finalURL = response.finalURL.map { Redactor.redact(Redactor.maskUserinfo($0)) }
            result.redirects = response.redirects > 0 ? response.redirects : nil
            result.bodyBytes = response.bodyBytes
            result.tls = TLSFacts(chain: response.certificates, now: Date())
            result.tls?.version = response.tlsVersion
            verdict = Classification.classify(response, expect: checks.expect, secretFields: checks.secretFields)
        case let .failure(failure):
            result.status = nil
            result.response = nil
            result.timings = nil
            result.tls = nil
            // A failure carries the time it took (a refused connection in 0.2 ms is not a slow one).
            let took: TimeInterval
            if case let .timeout(seconds) = failure { took = seconds } else { took = Date().timeIntervalSince(sent) }
            result.latencyMs = (took * 10_000).rounded() / 10
            verdict = Classification.classify(failure)
        }
        result.outcome = verdict.outcome
        result.error = verdict.error.map(Redactor.redact)
        return verdict.retryable
    }
}
