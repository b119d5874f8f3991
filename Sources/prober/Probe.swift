// Probe: one interface, probed once per run with retries. Only retryable failures (timeouts, network
// errors, 5xx) are retried, after 1 s, 2 s, 4 s (monitor.retry_delay doubling); a 401 from the target
// renews the service's token once. A trial probe of a half-open circuit gets a single attempt. The result
// carries the excerpts with secrets masked.

import Foundation
import Shared

/// Everything a probe needs that is the same for the whole run.
struct ProbeContext: Sendable {
    let run: String
    let shard: Shard
    let config: Config
    let client: HTTPClient
    let tokens: TokenStore
    let stop: StopSignal
}

enum Probe {
    // The asynchronous part is kept small on purpose: a thousand probes in flight each hold its frame, so the
    // bookkeeping (building the request, recording an answer or a failure) is done in non-inlined functions
    // whose temporaries live on the thread's stack, not in every suspended task (measured: 12 KB → a few
    // hundred bytes per probe in flight).
    static func run(_ definition: InterfaceDefinition, decision: BreakerDecision, context: ProbeContext) async -> ProbeResult {
        var result = start(definition, decision: decision, context: context)
        if result.outcome == .skipped { return result }
        let timeout = definition.timeout ?? context.config.monitor.timeout
        let maxAttempts = decision == .trial ? 1 : 1 + context.config.monitor.retryAttempts
        let http = settings(for: definition, context: context)
        let checks = expectation(for: definition, context: context)
        var token: String?
        var renewedToken = false
        while true {
            if definition.auth, token == nil {
                do {
                    token = try await context.tokens.token(for: definition.service)
                } catch {
                    result.outcome = .auth
                    result.error = Redactor.redact("no token for service \(definition.service): \(error)")
                    return result
                }
            }
            guard let request = prepare(definition, token: token, timeout: timeout, context: context, result: &result) else { return result }
            let sent = Date()
            let outcome = await context.client.send(request, timeout: timeout, settings: http)
            if case let .success(response) = outcome, response.status == 401, definition.auth, !renewedToken, let rejected = token {
                // The token may have been revoked early: renew it once and try again at once.
                renewedToken = true
                token = try? await context.tokens.token(for: definition.service, rejecting: rejected)
                if token != nil { continue }
            }
            let retryable = record(outcome, sent: sent, checks: checks, into: &result)
            guard retryable, result.attempts < maxAttempts, !context.stop.isStopping else { return result }
            let delay = context.config.monitor.retryBaseDelay * pow(2, Double(result.attempts - 1))
            if delay > 0 {
                // The back-off ends early on SIGTERM: a stopping prober reports what it has.
                guard await context.stop.sleep(delay) else { return result }
            }
        }
    }

    /// The result before any attempt: `skipped` (with why) when the circuit is open.
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
        if case let .skip(since, until, failures) = decision {
            result.outcome = .skipped
            result.skippedSince = since
            result.error =
                "not probed: circuit open since \(Timestamp.format(since)) until \(Timestamp.format(until)) "
                + "(after \(failures) consecutive failures)"
        }
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
        _ definition: InterfaceDefinition, token: String?, timeout: TimeInterval, context: ProbeContext,
        result: inout ProbeResult
    ) -> OutgoingRequest? {
        let service = context.config.services[definition.service]
        let authHeader = service?.auth.map { (name: $0.header, scheme: $0.scheme) }
        let built: BuiltRequest
        do {
            built = try RequestBuilder.build(definition, service: service, token: token, authHeader: authHeader, timeout: timeout)
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
