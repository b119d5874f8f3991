// The loopback server and the URLSession client together: keep-alive, hundreds of concurrent connections,
// and every failure class produced by a real condition.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Shared
import Testing
import TestSupport

private func get(_ url: String) -> URLRequest { URLRequest(url: URL(string: url)!) }

@Suite("HTTP server and client")
struct HTTPTests {
    @Test("sequential requests reuse one keep-alive connection")
    func keepAlive() async throws {
        let server = try TestServer()
        server.route("/ok", reply: .text(200, "fine"))
        let client = HTTPClient(connections: 1, timeout: 5)
        for _ in 0..<20 {
            let response = try await client.send(get(server.url("/ok")), timeout: 5).get()
            #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == "fine")
        }
        #expect(server.hits("/ok") == 20)
        #expect(server.connectionsAccepted == 1, "keep-alive: one connection for 20 requests")
    }

    @Test("300 concurrent requests with 200 ms latency all complete")
    func concurrency() async throws {
        let server = try TestServer()
        server.route("/slow") { request in .json(200, #"{"path":"\#(request.target)"}"#, delay: 0.2) }
        let client = HTTPClient(connections: 300, timeout: 30)
        let statuses = await withTaskGroup(of: Int.self) { group in
            for i in 0..<300 {
                group.addTask { (try? await client.send(get(server.url("/slow?i=\(i)")), timeout: 30).get().status) ?? -1 }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 300, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        #expect(Set(server.requests.map(\.target)).count == 300)
    }

    @Test("POST bodies and headers are received as sent")
    func postBody() async throws {
        let server = try TestServer()
        server.route("/echo") { request in .json(201, request.bodyText) }
        var request = get(server.url("/echo"))
        request.httpMethod = "POST"
        request.httpBody = Data(#"{"a":"é"}"#.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("vigil", forHTTPHeaderField: "X-Client")
        let response = try await HTTPClient(connections: 1, timeout: 5).send(request, timeout: 5).get()
        #expect(response.status == 201)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"a":"é"}"#)
        #expect(server.requests.first?.header("x-client") == "vigil")
        #expect(server.requests.first?.method == "POST")
    }

    @Test("a never-answering route is a timeout at the deadline, and the connection is dropped")
    func hang() async throws {
        let server = try TestServer()
        server.route("/hang", reply: .hang)
        let result = await HTTPClient(connections: 1, timeout: 1).send(get(server.url("/hang")), timeout: 0.5)
        // The deadline is enforced by a timer outside Swift's cooperative pool, so it holds even when this test
        // resumes late (process-driven tests running in parallel can occupy the pool's threads).
        guard case let .failure(.timeout(deadline)) = result else { Issue.record("expected timeout, got \(result)"); return }
        #expect(deadline == 0.5)
    }

    @Test("a closed port is a connection failure")
    func refused() async throws {
        let port = try closedPort()
        let result = await HTTPClient(connections: 1, timeout: 2).send(get("http://127.0.0.1:\(port)/"), timeout: 2)
        guard case .failure(.connection) = result else { Issue.record("expected connection, got \(result)"); return }
    }

    @Test("a connection closed without an answer is a connection failure")
    func closedWithoutAnswer() async throws {
        let server = try TestServer()
        server.route("/close", reply: .close)
        let result = await HTTPClient(connections: 1, timeout: 2).send(get(server.url("/close")), timeout: 2)
        guard case .failure(.connection) = result else { Issue.record("expected connection, got \(result)"); return }
    }

    @Test("an unresolvable host name is a DNS failure (resolved locally, nothing leaves the machine)")
    func dns() async throws {
        let host = String(repeating: "a", count: 64) + ".invalid"
        let result = await HTTPClient(connections: 1, timeout: 2).send(get("http://\(host)/"), timeout: 2)
        guard case .failure(.dns) = result else { Issue.record("expected dns, got \(result)"); return }
    }
}
