// CurlEngine: the one event loop of a process that drives every HTTP transfer, on libcurl's multi interface.
// A dedicated thread adds new transfers, lets libcurl progress, hands finished ones back to their callers, then
// sleeps in curl_multi_poll until a socket is ready, one of libcurl's timers is due, or a caller wakes it:
// waiting costs no CPU however many transfers hang. Connections are kept and reused across transfers.

import CCurl
import Foundation
import Synchronization

/// What libcurl reports about one finished transfer (one request, no redirect followed).
struct CurlOutcome: Sendable {
    /// CURLE_OK, or the code that ended the transfer.
    var code: Int32
    /// libcurl's error buffer, else its text for the code.
    var message: String
    var status: Int
    /// The headers of the last response received (interim 1xx answers are dropped).
    var headers: [(String, String)]
    /// The first `maxBodyBytes` bytes of the body.
    var body: [UInt8]
    /// The body's real size.
    var bodyBytes: Int
    var timings: PhaseTimings
    var remoteIP: String?
    var httpVersion: String?
    var certificates: [CertificateFacts]
    var tlsVersion: String?
}

/// One request handed to the engine.
struct CurlRequest: Sendable {
    var method: String
    var url: String
    var headers: [(String, String)]
    var body: [UInt8]?
    var timeout: TimeInterval
    var maxBodyBytes: Int
    var settings: HTTPSettings
}

/// The state of one transfer while libcurl works on it. Built by the caller, then handed over once through the
/// engine's inbox: from then on only the engine's thread touches it (hence unchecked).
private final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let request: CurlRequest
    let continuation: CheckedContinuation<CurlOutcome, Never>
    var body: [UInt8] = []
    var bodyBytes = 0
    var headers: [(String, String)] = []
    /// The TLS protocol, read while the connection is live (at the response's status line).
    var tlsVersion: String?
    var headerList: UnsafeMutablePointer<vigil_curl_slist>?
    var connectTo: UnsafeMutablePointer<vigil_curl_slist>?
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    /// The request body, kept at a fixed address while libcurl reads it.
    var requestBody: UnsafeMutableRawBufferPointer?
    /// C strings handed to libcurl, which keeps pointers for some options.
    var strings: [UnsafeMutablePointer<CChar>] = []

    init(easy: UnsafeMutableRawPointer, request: CurlRequest, continuation: CheckedContinuation<CurlOutcome, Never>) {
        self.easy = easy
        self.request = request
        self.continuation = continuation
        errorBuffer.initialize(to: 0)
    }

    deinit {
        errorBuffer.deallocate()
        requestBody?.deallocate()
        strings.forEach { free($0) }
        if let headerList { vigil_curl_slist_free_all(headerList) }
        if let connectTo { vigil_curl_slist_free_all(connectTo) }
    }

    func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(text)!
        strings.append(copy)
        return copy
    }
}

/// Body bytes from libcurl: the first `maxBodyBytes` are kept, the rest only counted.
private let receiveBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    let n = size * count
    guard let data, let context else { return n }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let keep = min(n, max(0, transfer.request.maxBodyBytes - transfer.body.count))
    if keep > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: keep) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: keep)) }
    }
    transfer.bodyBytes += n
    return n
}

/// Header lines from libcurl, one per call; a status line starts a new response (after 1xx interim answers).
private let receiveHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    let n = size * count
    guard let data, let context else { return n }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    data.withMemoryRebound(to: UInt8.self, capacity: n) { start in
        let line = UnsafeBufferPointer(start: start, count: n)
        func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 13 || byte == 10 }
        func trimmed(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> String {
            var part = part
            while let first = part.first, isBlank(first) { part = part.dropFirst() }
            while let last = part.last, isBlank(last) { part = part.dropLast() }
            return String(decoding: part, as: UTF8.self)
        }
        if line.starts(with: "HTTP/".utf8) {
            transfer.headers = []
            if transfer.tlsVersion == nil, let version = vigil_curl_tls_version(transfer.easy) { transfer.tlsVersion = String(cString: version) }
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            transfer.headers.append((trimmed(line[..<colon]), trimmed(line[(colon + 1)...])))
        }
    }
    return n
}

/// The process's engine. Unchecked Sendable: `active` and the multi handle are touched only by the engine's
/// own thread (`loop`); other threads reach it only through `inbox` (a Mutex), `ids` (an Atomic) and
/// vigil_curl_loop_wakeup (a write to the loop's wake-up descriptor).
final class CurlEngine: @unchecked Sendable {
    /// Started on first use; nil when libcurl cannot be loaded (see `Curl.loaded`).
    static let shared: CurlEngine? = {
        guard case .success = Curl.loaded else { return nil }
        return CurlEngine()
    }()

    private let multi: UnsafeMutableRawPointer
    /// The epoll loop on the multi handle's socket and timer callbacks.
    private let events: OpaquePointer
    private let inbox = Mutex<(add: [CurlTransfer], cancel: Set<Int>)>(([], []))
    /// Transfers in flight, by easy handle (engine thread only).
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private let ids = Atomic<Int>(0)

    private init() {
        multi = vigil_curl_multi_init()!
        // CURLMOPT_MAXCONNECTS (6): keep enough idle connections for a prober's concurrency to reuse.
        _ = vigil_curl_multi_setopt_long(multi, 6, 10_000)
        events = vigil_curl_loop_create(multi)!
        let thread = Thread { [self] in loop() }
        thread.name = "vigil-http"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `request` to completion (or until the calling task is cancelled).
    @inline(never)
    func perform(_ request: CurlRequest) async -> CurlOutcome {
        let id = ids.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<CurlOutcome, Never>) in
                guard let easy = vigil_curl_easy_init() else {
                    continuation.resume(returning: CurlEngine.failure(Curl.Code.abortedByCallback, "curl_easy_init failed"))
                    return
                }
                let transfer = CurlTransfer(easy: easy, request: request, continuation: continuation)
                configure(transfer, id: id)
                inbox.withLock { $0.add.append(transfer) }
                vigil_curl_loop_wakeup(events)
            }
        } onCancel: {
            inbox.withLock { _ = $0.cancel.insert(id) }
            vigil_curl_loop_wakeup(events)
        }
    }

    static func failure(_ code: Int32, _ message: String) -> CurlOutcome {
        CurlOutcome(
            code: code, message: message, status: 0, headers: [], body: [], bodyBytes: 0, timings: PhaseTimings(),
            remoteIP: nil, httpVersion: nil, certificates: [], tlsVersion: nil)
    }

    private func configure(_ t: CurlTransfer, id: Int) {
        let options = EasyOptions(transfer: t)
        options.setURL()
        options.set(.protocolsString, "http,https")
        options.set(.privateData, UnsafeRawPointer(bitPattern: id))
        options.set(.noSignal, 1)
        options.set(.errorBuffer, UnsafeRawPointer(t.errorBuffer))
        options.setLimitsAndRoute()
        // libcurl's smallest upload buffer (16 KiB instead of 64): with a thousand transfers in flight that is
        // 48 MB less, and request bodies are small.
        options.set(.uploadBufferSize, 16_384)
        // A 4 KiB receive buffer instead of 16: it is allocated per transfer (16 MB at a thousand in flight), and
        // answers a probe reads are small; a large one just takes more, still cheap, reads.
        options.set(.bufferSize, 4096)
        if t.request.url.lowercased().hasPrefix("https:") { options.set(.certInfo, 1) }
        if let tls = t.request.settings.tls { options.setTLS(tls) }
        let context = UnsafeRawPointer(Unmanaged.passUnretained(t).toOpaque())
        options.set(.writeFunction, unsafeBitCast(receiveBody, to: UnsafeRawPointer.self))
        options.set(.writeData, context)
        options.set(.headerFunction, unsafeBitCast(receiveHeader, to: UnsafeRawPointer.self))
        options.set(.headerData, context)
        options.setHeaders()
        options.setMethodAndBody()
    }

    private func loop() {
        // No signal is ever delivered to this thread: the watched ones are taken by other threads (SignalWatcher's
        // handler only writes to its pipe), and libcurl's own waits are never interrupted.
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        while true {
            let (adds, cancels) = inbox.withLock { box -> ([CurlTransfer], Set<Int>) in
                defer { box = ([], []) }
                return box
            }
            for transfer in adds {
                active[transfer.easy] = transfer
                _ = vigil_curl_multi_add_handle(multi, transfer.easy)
            }
            for (easy, transfer) in active where cancels.contains(Self.id(of: easy)) {
                finish(transfer, code: Curl.Code.abortedByCallback, message: "cancelled")
            }
            // Sleeps until a socket or one of libcurl's timers needs attention, or perform() wakes it; then libcurl
            // acts on the ready sockets only.
            _ = vigil_curl_loop_run(events, adds.isEmpty ? 30_000 : 0)
            var easy: UnsafeMutableRawPointer?
            var result: Int32 = 0
            while vigil_curl_multi_next_done(multi, &easy, &result) == 1 {
                if let easy, let transfer = active[easy] { finish(transfer, code: result, message: nil) }
            }
        }
    }

    private static func id(of easy: UnsafeMutableRawPointer) -> Int {
        var pointer: UnsafeMutableRawPointer?
        _ = vigil_curl_easy_getinfo_pointer(easy, 0x100015, &pointer)  // CURLINFO_PRIVATE
        return Int(bitPattern: pointer)
    }

    private func finish(_ t: CurlTransfer, code: Int32, message: String?) {
        let easy = t.easy
        active[easy] = nil
        _ = vigil_curl_multi_remove_handle(multi, easy)
        func long(_ info: Curl.Info) -> Int {
            var value = 0
            _ = vigil_curl_easy_getinfo_long(easy, info.rawValue, &value)
            return value
        }
        func milliseconds(_ info: Curl.Info) -> Double {
            var value: Int64 = 0
            _ = vigil_curl_easy_getinfo_offset(easy, info.rawValue, &value)
            return Double(value) / 1000
        }
        var ip: UnsafeMutableRawPointer?
        _ = vigil_curl_easy_getinfo_pointer(easy, Curl.Info.primaryIP.rawValue, &ip)
        let remoteIP = ip.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) }.flatMap { $0.isEmpty ? nil : $0 }
        let version: String? =
            switch long(.httpVersion) {
            case 1: "1.0"
            case 2: "1.1"
            case 3: "2"
            case 30: "3"
            default: nil
            }
        let timings = PhaseTimings(
            dns: milliseconds(.nameLookupTime), connect: milliseconds(.connectTime),
            tls: milliseconds(.appConnectTime), firstByte: milliseconds(.startTransferTime),
            total: milliseconds(.totalTime))
        let errorText = String(cString: t.errorBuffer)
        let outcome = CurlOutcome(
            code: code, message: message ?? (errorText.isEmpty ? Curl.describe(code) : errorText), status: long(.responseCode),
            headers: t.headers, body: t.body, bodyBytes: t.bodyBytes, timings: timings, remoteIP: remoteIP, httpVersion: version,
            certificates: CertificateFacts.chain(easy), tlsVersion: t.tlsVersion)
        vigil_curl_easy_cleanup(easy)
        t.continuation.resume(returning: outcome)
    }
}

/// Sets the options of one transfer's easy handle; strings and buffers libcurl keeps pointers to are owned
/// by the transfer.
private struct EasyOptions {
    let transfer: CurlTransfer

    func set(_ option: Curl.Option, _ value: Int) { _ = vigil_curl_easy_setopt_long(transfer.easy, option.rawValue, value) }
    func set(_ option: Curl.Option, _ pointer: UnsafeRawPointer?) {
        _ = vigil_curl_easy_setopt_pointer(transfer.easy, option.rawValue, pointer)
    }
    func set(_ option: Curl.Option, _ text: String) { set(option, UnsafeRawPointer(transfer.string(text))) }

    /// The URL, or with tls.server_name the URL spoken to that name while connecting to the URL's host.
    func setURL() {
        let request = transfer.request
        if let name = request.settings.tls?.serverName, let target = ServerName.rewrite(request.url, as: name) {
            // The URL names the server; the name is what TLS and Host say: connect to the URL's host and port,
            // but speak to `name` (CURLOPT_CONNECT_TO "name:port:host:port").
            set(.url, target.url)
            transfer.connectTo = vigil_curl_slist_append(nil, target.connectTo)
            set(.connectTo, UnsafeRawPointer(transfer.connectTo))
        } else {
            set(.url, request.url)
        }
    }

    /// Deadlines, no redirects, the proxy, the IP and HTTP versions, and every content encoding libcurl knows.
    func setLimitsAndRoute() {
        let request = transfer.request
        // The whole answer's deadline is libcurl's own: no timer of ours races the transfer.
        set(.timeoutMS, max(1, Int((request.timeout * 1000).rounded(.up))))
        set(.connectTimeoutMS, max(1, Int((min(request.timeout, request.settings.connectTimeout) * 1000).rounded(.up))))
        set(.followLocation, 0)
        // Probes go where the file says: proxy variables of the environment are ignored unless configured.
        switch request.settings.proxy {
        case .none: set(.proxy, "")
        case .environment: break
        case let .url(url): set(.proxy, url)
        }
        set(.ipResolve, request.settings.ipVersion.rawValue)
        set(.httpVersion, request.settings.httpVersion.curlValue)
        set(.acceptEncoding, "")
    }

    /// The CA file, the client certificate and key, and whether the peer is verified.
    func setTLS(_ tls: HTTPSettings.TLS) {
        if let ca = tls.caFile { set(.caInfo, ca) }
        if let cert = tls.certFile { set(.sslCert, cert) }
        if let key = tls.keyFile { set(.sslKey, key) }
        if tls.insecureSkipVerify {
            set(.sslVerifyPeer, 0)
            set(.sslVerifyHost, 0)
        }
    }

    /// The request's headers, and "Expect:" with no value: no 100-continue round trip before a body.
    func setHeaders() {
        var list: UnsafeMutablePointer<vigil_curl_slist>?
        for (name, value) in transfer.request.headers + [("Expect", "")] {
            list = vigil_curl_slist_append(list, value.isEmpty ? name + ":" : name + ": " + value)
        }
        transfer.headerList = list
        set(.httpHeader, UnsafeRawPointer(list))
    }

    /// The method, and the body at a fixed address (an empty one for a POST without a body).
    func setMethodAndBody() {
        let request = transfer.request
        let method = request.method.uppercased()
        if method == "HEAD" {
            set(.noBody, 1)
        } else if let body = request.body ?? (method == "POST" ? [] : nil) {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, body.count), alignment: 1)
            buffer.copyBytes(from: body)
            transfer.requestBody = buffer
            _ = vigil_curl_easy_setopt_offset(transfer.easy, Curl.Option.postFieldSizeLarge.rawValue, Int64(body.count))
            set(.postFields, UnsafeRawPointer(buffer.baseAddress))
            if method != "POST" { set(.customRequest, method) }
        } else if method != "GET" {
            set(.customRequest, method)
        }
    }
}
