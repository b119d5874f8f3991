// TestServer: the loopback HTTP server with a route table each test programs (status, headers, body, delay,
// hang, close, or a closure) and a record of every request it received, so tests count hits and inspect
// what was sent. Unknown paths answer 404.

import Foundation
import Loopback
import Shared
import Synchronization

/// A programmable, recording HTTP server on 127.0.0.1.
public final class TestServer: Sendable {
    public typealias Route = @Sendable (HTTPRequest) -> HTTPReply

    private final class Table: Sendable {
        let routes = Mutex<[String: Route]>([:])
        let log = Mutex<[HTTPRequest]>([])
    }

    private let table = Table()
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    public let port: UInt16

    public init() throws {
        let table = self.table
        let server = try HTTPServer { request in
            table.log.withLock { $0.append(request) }
            let route = table.routes.withLock { $0[request.method + " " + request.path] ?? $0[request.path] }
            return route?(request) ?? HTTPReply.text(404, "no route for \(request.path)")
        }
        port = server.port
        self.server.withLock { $0 = server }
    }

    deinit { stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func url(_ path: String) -> String { baseURL + path }

    /// Serves `path` (any method) with `route`.
    public func route(_ path: String, _ route: @escaping Route) {
        table.routes.withLock { $0[path] = route }
    }

    /// Serves `path` with a fixed reply.
    public func route(_ path: String, reply: HTTPReply) {
        route(path) { _ in reply }
    }

    /// Every request received so far.
    public var requests: [HTTPRequest] { table.log.withLock { $0 } }

    /// Requests received for `path`.
    public func requests(to path: String) -> [HTTPRequest] { requests.filter { $0.path == path } }

    /// How many requests `path` received.
    public func hits(_ path: String) -> Int { requests(to: path).count }

    /// TCP connections accepted so far.
    public var connectionsAccepted: Int { server.withLock { $0?.connectionsAccepted ?? 0 } }

    public func clearLog() { table.log.withLock { $0.removeAll() } }

    public func stop() {
        server.withLock {
            $0?.stop()
            $0 = nil
        }
    }
}

/// A port on 127.0.0.1 with nothing listening (bound then released).
public func closedPort() throws -> UInt16 {
    let server = try HTTPServer { _ in .text(200, "") }
    let port = server.port
    server.stop()
    usleep(50_000)
    return port
}
