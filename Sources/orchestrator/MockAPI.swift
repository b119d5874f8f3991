// MockAPI: a small API and WeCom-style webhook receiver on 127.0.0.1, for `orchestrator demo` and the
// benchmarks: healthy, slow, failing and token-protected endpoints, a token endpoint, and a receiver that
// records what it is sent. Loopback only; not a production server.

import Foundation
import Loopback
import Shared
import Synchronization

final class MockAPI: Sendable {
    private final class Inbox: Sendable {
        let bodies = Mutex<[String]>([])
    }

    let server: HTTPServer
    private let inbox = Inbox()
    static let demoPassword = "demo-password"

    /// Messages the webhook receiver accepted (request bodies).
    var messages: [String] { inbox.bodies.withLock { $0 } }

    static let big = [UInt8](repeating: UInt8(ascii: "x"), count: 100 << 20)

    init(port: UInt16 = 0, latency: TimeInterval = 0) throws {
        let inbox = self.inbox
        let issued = Mutex<Int>(0)
        server = try HTTPServer(port: port) { request in
            switch request.path {
            case "/auth/token":
                guard request.method == "POST", request.bodyText.contains("\"\(MockAPI.demoPassword)\"") else {
                    return .json(401, #"{"code":401,"msg":"bad credentials"}"#)
                }
                let n = issued.withLock {
                    $0 += 1
                    return $0
                }
                return .json(200, #"{"code":0,"data":{"access_token":"demo-token-\#(n)","expires_in":3600}}"#)
            case "/api/health":
                return .json(200, #"{"code":0,"status":"up"}"#, delay: latency)
            case "/api/user/info":
                guard request.header("Authorization")?.hasPrefix("Bearer demo-token-") == true else {
                    return .json(401, #"{"code":401,"msg":"token required"}"#)
                }
                return .json(200, #"{"code":0,"data":{"id":1,"name":"张三"}}"#, delay: latency)
            case "/api/nurse/schedule":
                return .json(200, #"{"code":0,"data":[]}"#, delay: max(latency, 1.2))
            case "/api/orders":
                return .json(500, #"{"code":500,"msg":"database unavailable"}"#, delay: latency)
            case "/api/legacy/report":
                return .text(404, "not found")
            case "/cgi-bin/webhook/send":
                inbox.bodies.withLock { $0.append(request.bodyText) }
                return .json(200, #"{"errcode":0,"errmsg":"ok"}"#)
            default:
                if request.path.hasPrefix("/bench/") { return .json(200, #"{"code":0}"#, delay: latency) }
                // Fails during odd minutes of the wall clock, answers during even ones: a soak's steady source
                // of new failures and recoveries, so the analyzer and notifier work every run.
                if request.path.hasPrefix("/bench-flap/") {
                    let minute = Int(Date().timeIntervalSince1970 / 60)
                    return minute % 2 == 1
                        ? .json(503, #"{"code":503,"msg":"flapping"}"#, delay: latency) : .json(200, #"{"code":0}"#, delay: latency)
                }
                // Accepts and never answers: what waiting on hanging targets costs.
                if request.path.hasPrefix("/bench-hang/") { return HTTPReply(action: .hang) }
                // 100 MiB: what a huge answer costs the prober's memory.
                if request.path.hasPrefix("/bench-big/") {
                    return HTTPReply(status: 200, headers: ["Content-Type": "application/octet-stream"], body: MockAPI.big)
                }
                return .text(404, "no route for \(request.path)")
            }
        }
    }

    /// `orchestrator mock-api`: serves until SIGTERM/SIGINT.
    static func serve(port: UInt16, latency: TimeInterval) -> Int32 {
        let api: MockAPI
        do {
            api = try MockAPI(port: port, latency: latency)
        } catch {
            Log.error("cannot serve on 127.0.0.1:\(port): \(error)")
            return 1
        }
        let done = DispatchSemaphore(value: 0)
        let watcher = SignalWatcher([SIGTERM, SIGINT]) { _ in done.signal() }
        FileHandle.standardOutput.write(Data("mock API on \(api.server.baseURL) (latency \(DurationParser.format(latency)))\n".utf8))
        done.wait()
        api.server.stop()
        _ = watcher
        return 0
    }
}
