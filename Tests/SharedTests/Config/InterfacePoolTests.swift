// The interface pool: recursive scan, JSON and YAML, lists, ids and services from paths, errors per file.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("Interface pool", .ownThread)
struct InterfacePoolTests {
    @Test("the shipped example pool loads: services from folders, ids from paths, lists expanded")
    func examplePool() throws {
        let config = try ConfigLoader.load(path: examplesDirectory + "/config.yaml", environment: [:])
        let pool = try InterfacePool.load(config: config, environment: [:])
        let ids = pool.interfaces.map(\.id)
        #expect(ids.contains("user/profile/get-info"))
        // List items are named by their name's slug, never by position.
        #expect(ids.contains("nurse/schedule#护士排班列表") && ids.contains("nurse/schedule#护士排班详情"))
        #expect(ids.contains("admin/dashboard#管理后台首页统计") && ids.contains("admin/dashboard#admin-audit-log"))
        #expect(Set(pool.interfaces.map(\.service)) == ["user", "nurse", "admin"])
        let info = try #require(pool.interfaces.first { $0.id == "user/profile/get-info" })
        #expect(info.name == "获取用户信息" && info.method == "GET" && info.auth)
        #expect(info.params["id"] == "1" && info.headers["X-Client"] == "vigil")
        #expect(info.expect.statuses == [200] && info.expect.maxLatency == 2 && info.expect.bodyContains.isEmpty)
        #expect(info.expect.json == [JSONCheck(path: try JSONPath(parsing: "data"), test: .type("object"))])
        #expect(info.timeout == 5)
        let export = try #require(pool.interfaces.first { $0.id == "admin/report-export" })
        #expect(export.expect.statuses.count == 100)
        #expect(export.body == .raw("{\"month\": \"2026-11\", \"format\": \"csv\"}\n"))
        let nickname = try #require(pool.interfaces.first { $0.id == "user/profile/update-nickname" })
        #expect(nickname.body == .json(.object([.init(key: "id", value: .number("1")), .init(key: "nickname", value: .string("vigil-probe"))])))
        // Packed (as the prober holds them, CJK ids and all), every definition comes back equal.
        let packed = try InterfacePool.loadPacked(config: config, environment: [:])
        #expect(packed.read == pool.interfaces.count && (0..<packed.definitions.count).map { packed.definitions[$0] } == pool.interfaces)
    }

    @Test("each broken interface file is reported with its name and line, and the others still load")
    func brokenFiles() throws {
        let dir = TemporaryDirectory("pool")
        try dir.write("config.yaml", "services:\n  svc:\n    base_url: http://127.0.0.1:9\n")
        try dir.write("Interface-pool/svc/good.yaml", "name: Good\nurl: /good\n")
        try dir.write("Interface-pool/svc/bad-method.yaml", "name: Bad\nmethod: FETCH\nurl: /x\n")
        try dir.write("Interface-pool/svc/no-url.json", "{\n  \"name\": \"No URL\"\n}\n")
        try dir.write("Interface-pool/svc/broken.json", "{\"name\": \"x\",\n \"url\": }\n")
        try dir.write("Interface-pool/svc/typo.yaml", "name: T\nurl: /t\nexpect:\n  statuses: [200]\n")
        try dir.write("Interface-pool/other/rel.yaml", "name: R\nurl: /relative\n")
        try dir.write("Interface-pool/top.yaml", "name: Top\nurl: /top\n")
        try dir.write("Interface-pool/svc/space.yaml", "name: Space\nurl: \"/reports/annual report.pdf\"\n")
        let config = try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:])
        let error = try #require(throws: ConfigError.self) { try InterfacePool.load(config: config, environment: [:]) }
        let text = error.description
        #expect(text.contains("Interface-pool/svc/bad-method.yaml:2: method: expected one of GET"), "\(text)")
        #expect(text.contains("Interface-pool/svc/no-url.json:1: url: missing"), "\(text)")
        #expect(text.contains("Interface-pool/svc/broken.json:2:"), "\(text)")
        #expect(text.contains("Interface-pool/svc/typo.yaml:4: expect.statuses: unknown key; did you mean \"status\""), "\(text)")
        #expect(text.contains("Interface-pool/other/rel.yaml:2: url: the URL is relative but service \"other\" has no base_url"), "\(text)")
        #expect(text.contains("Interface-pool/top.yaml: interface files live in a folder named after their service"), "\(text)")
        #expect(
            text.contains("Interface-pool/svc/space.yaml:2: url: a space cannot be sent in a URL; write it percent-encoded (a space as %20)"),
            "refused in the file, never a \"connection\" failure of the target: \(text)")
        #expect(!text.contains("good.yaml"))
    }

    @Test("the same problem in many files (a service without base_url) is said once, with how many other files have it")
    func repeatedProblemSaidOnce() throws {
        let dir = TemporaryDirectory("pool")
        try dir.write("config.yaml", "services:\n  svc:\n    headers: {X: y}\n")
        for i in 0..<36 { try dir.write("Interface-pool/svc/op\(i).yaml", "name: Op \(i)\nurl: /op/\(i)\n") }
        try dir.write("Interface-pool/svc/zz-typo.yaml", "name: T\nurl: /t\nexpect:\n  statuses: [200]\n")
        let config = try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:])
        let error = try #require(throws: ConfigError.self) { try InterfacePool.load(config: config, environment: [:]) }
        #expect(error.issues.count == 2, "the base_url problem said once, and the typo: \(error.description)")
        let baseURL = error.issues.filter { $0.message.contains("has no base_url") }
        #expect(baseURL.count == 1)
        #expect(baseURL.first?.file == "Interface-pool/svc/op0.yaml" && baseURL.first?.line == 2, "\(baseURL)")
        #expect(
            baseURL.first?.message.hasSuffix(
                "(and 35 other file(s) the same: Interface-pool/svc/op1.yaml, Interface-pool/svc/op10.yaml, Interface-pool/svc/op11.yaml, …)")
                == true, "\(baseURL)")
        #expect(error.description.contains("zz-typo.yaml:4: expect.statuses: unknown key"), "the problem that differs still shows")
    }

    @Test("a list file read item by item (JSON streamed, YAML whole) gives the same interfaces, lines and errors")
    func streamedLists() throws {
        let dir = TemporaryDirectory("pool-stream")
        try dir.write("config.yaml", "services:\n  a:\n    base_url: http://127.0.0.1:9\n  b:\n    base_url: http://127.0.0.1:9\n")
        try dir.write(
            "Interface-pool/a/list.json",
            """
            {"interfaces": [
              {"name": "One", "url": "/one", "headers": {"X-A": "1"}, "expect": {"status": [200, 204]}},
              {"id": "two", "name": "Two", "url": "/two", "method": "POST", "body": {"k": [1, 2]}},
              {"name": "Three", "url": "/three", "timeout": "2s", "max_redirects": 3}
            ]}
            """)
        try dir.write(
            "Interface-pool/b/list.yaml",
            """
            interfaces:
              - {name: One, url: /one, headers: {X-A: "1"}, expect: {status: [200, 204]}}
              - {id: two, name: Two, url: /two, method: POST, body: {k: [1, 2]}}
              - {name: Three, url: /three, timeout: 2s, max_redirects: 3}
            """)
        let config = try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:])
        let pool = try InterfacePool.load(config: config, environment: [:])
        let a = pool.interfaces(of: "a")
        let b = pool.interfaces(of: "b")
        #expect(a.map(\.id) == ["a/list#one", "a/two", "a/list#three"])
        #expect(a.map(\.sourceLine) == [2, 3, 4] && b.map(\.sourceLine) == [2, 3, 4])
        #expect(a.map(\.source) == ["Interface-pool/a/list.json:2", "Interface-pool/a/list.json:3", "Interface-pool/a/list.json:4"])
        for (x, y) in zip(a, b) {
            #expect(
                x.name == y.name && x.method == y.method && x.url == y.url && x.headers == y.headers && x.body == y.body
                    && x.expect == y.expect && x.timeout == y.timeout && x.maxRedirects == y.maxRedirects)
        }
        // Packed as a prober holds them, every definition comes back equal (details, lines, files, texts).
        let packed = try InterfacePool.loadPacked(config: config, environment: [:], keep: { $0.service == "b" })
        #expect(packed.read == 6 && packed.definitions.count == 3)
        #expect((0..<packed.definitions.count).map { packed.definitions[$0] } == b)
        #expect((0..<packed.definitions.count).map { packed.definitions.id(at: $0) } == b.map(\.id))
        let all = PackedDefinitions(pool.interfaces)
        #expect((0..<all.count).map { all[$0] } == pool.interfaces)

        // A shard's interfaces only, packed, as the prober loads them.
        let shard = try InterfacePool.loadPacked(config: config, environment: [:], keep: { $0.service == "a" })
        #expect((0..<shard.definitions.count).map { shard.definitions[$0] } == a)

        // Problems around a streamed list are still found: keys beside it, a list that is not one, a syntax
        // error after items were read (nothing of that file loads).
        try dir.write("Interface-pool/a/list.json", "{\"interfaces\": [{\"name\": \"One\", \"url\": \"/one\"}],\n \"owner\": \"x\"}\n")
        try dir.write("Interface-pool/a/scalar.json", "{\"interfaces\": 3}\n")
        try dir.write("Interface-pool/a/cut.json", "[{\"name\": \"One\", \"url\": \"/one\"},\n {\"name\": \"Two\", \"url\": }]\n")
        let error = try #require(throws: ConfigError.self) { try InterfacePool.load(config: config, environment: [:]) }
        let text = error.description
        #expect(text.contains("Interface-pool/a/list.json:2: owner: a file with an interfaces: list holds nothing else"), "\(text)")
        #expect(text.contains("Interface-pool/a/scalar.json:1: interfaces: expected a list of interfaces, found \"3\""), "\(text)")
        #expect(text.contains("Interface-pool/a/cut.json:2: column"), "\(text)")
        #expect(error.issues.count == 3, "\(text)")
    }
}
