// `orchestrator import` on documents written for the tests: OpenAPI 3 in YAML (path, query and header
// parameters, request bodies with examples, $ref, servers with variables, bearer security, a required parameter
// without example) and Swagger 2 in JSON; an idempotent second import, a hand-edited file kept, operations gone
// from the document reported and pruned, and `once` over the imported pool against a test server (a POST
// enabled by hand, as the file says to). Safety, secrets and names: ImportSafetyTests, ImportSecretsTests.

import Foundation
import Shared
import TestSupport
import Testing

private let petstore = """
    openapi: 3.0.3
    info: {title: Pets, version: "1"}
    servers:
      - url: "http://{host}/v1"
        variables: {host: {default: api.example.com}}
    security: [{bearerAuth: []}]
    components:
      securitySchemes:
        bearerAuth: {type: http, scheme: bearer}
      parameters:
        Limit: {name: limit, in: query, schema: {type: integer, default: 20}}
      schemas:
        Pet:
          type: object
          properties:
            name: {type: string, example: doggie}
            age: {type: integer, example: 3}
    paths:
      /pets:
        get:
          operationId: listPets
          summary: List all pets
          tags: [pets]
          parameters:
            - $ref: "#/components/parameters/Limit"
            - {name: X-Request-Id, in: header, required: true, example: req-1}
          responses: {"200": {description: ok}}
        post:
          operationId: createPet
          tags: [pets]
          requestBody:
            required: true
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Pet"}
          responses: {"201": {description: created}}
      /pets/{petId}:
        parameters:
          - {name: petId, in: path, required: true, schema: {type: string}, example: "7 b"}
        get:
          operationId: showPet
          summary: Info for a pet
          responses: {"200": {description: ok}}
      /owners/{ownerId}:
        get:
          summary: An owner
          security: []
          parameters:
            - {name: ownerId, in: path, required: true, schema: {type: string}}
          responses: {"200": {description: ok}}
      /health:
        head:
          operationId: health
          security: []
          responses: {"204": {description: up}}

    """

@Suite("orchestrator import", .ownThread)
struct ImportTests {
    @Test("an OpenAPI 3 document becomes one checked interface file per operation; a second import changes nothing")
    func openAPI() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("petstore.yaml", petstore)
        let first = try f.run(["import", "openapi", f.dir.url("petstore.yaml"), "--service", "pets"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("5 operation(s): 5 written, 0 unchanged, 0 kept"), "\(first.stdout)")
        #expect(first.stdout.contains("    base_url: \"http://api.example.com/v1\""), "servers with their variables: \(first.stdout)")
        #expect(first.stdout.contains("the document's security: bearerAuth"))
        let list = try f.dir.read("pool/pets/listPets.yaml")
        #expect(list.hasPrefix("# vigil-import sha256="))
        #expect(
            list.contains("method: GET\nurl: \"/pets\"\nparams: {\"limit\": \"20\"}\nheaders: {\"X-Request-Id\": \"req-1\"}\nauth: true\n"), "\(list)"
        )
        #expect(list.contains("expect: {status: [200]}"))
        let create = try f.dir.read("pool/pets/createPet.yaml")
        #expect(create.contains("body: {\"name\":\"doggie\",\"age\":3}\n") && create.contains("expect: {status: [201]}"), "\(create)")
        #expect(try f.dir.read("pool/pets/showPet.yaml").contains("url: \"/pets/7%20b\""))
        let owner = try f.dir.read("pool/pets/get-owners-ownerId.yaml")
        #expect(owner.contains("# missing: path parameter ownerId") && owner.contains("enabled: false") && !owner.contains("auth: true"))
        #expect(try f.dir.read("pool/pets/health.yaml").contains("method: HEAD"))

        // The imported files are a valid pool: check reports no problem.
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write(
            "config.yaml",
            config.replacingOccurrences(
                of: "services:\n", with: "services:\n  pets:\n    base_url: \(f.server.baseURL)/v1\n    auth: {url: /token}\n"))
        let check = try f.run(["check"])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("pets: 5 interface(s) (2 disabled)"), "the POST and the one missing a parameter: \(check.stdout)")

        let again = try f.run(["import", "openapi", f.dir.url("petstore.yaml"), "--service", "pets"])
        #expect(again.stdout.contains("5 operation(s): 0 written, 5 unchanged, 0 kept"), "\(again.stdout)")
    }

    @Test("a hand-edited file is kept; an operation gone from the document is reported, and pruned only when asked")
    func reimport() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("petstore.yaml", petstore)
        #expect(try f.run(["import", "openapi", f.dir.url("petstore.yaml"), "--service", "pets"]).exitCode == 0)
        let edited = try f.dir.read("pool/pets/showPet.yaml").replacingOccurrences(of: "7%20b", with: "42")
        try f.dir.write("pool/pets/showPet.yaml", edited)
        try f.dir.write(
            "petstore.yaml",
            petstore.replacingOccurrences(
                of: "  /health:\n    head:\n      operationId: health\n      security: []\n      responses: {\"204\": {description: up}}\n", with: "")
        )
        let second = try f.run(["import", "openapi", f.dir.url("petstore.yaml"), "--service", "pets"])
        #expect(second.stdout.contains("kept       \(f.dir.url("pool/pets/showPet.yaml")) (edited by hand"), "\(second.stdout)")
        #expect(second.stdout.contains("gone       \(f.dir.url("pool/pets/health.yaml")): no longer in"), "\(second.stdout)")
        let kept = try f.dir.read("pool/pets/showPet.yaml")
        #expect(kept == edited && FileManager.default.fileExists(atPath: f.dir.url("pool/pets/health.yaml")))
        let pruned = try f.run(["import", "openapi", f.dir.url("petstore.yaml"), "--service", "pets", "--prune"])
        #expect(pruned.stdout.contains("pruned     \(f.dir.url("pool/pets/health.yaml"))"), "\(pruned.stdout)")
        let stillKept = try f.dir.read("pool/pets/showPet.yaml")
        #expect(!FileManager.default.fileExists(atPath: f.dir.url("pool/pets/health.yaml")) && stillKept == edited)
    }

    @Test("Swagger 2 in JSON: host and basePath, body and x-example parameters, --only; a bad document names file and line")
    func swagger() throws {
        let f = try OrchestratorFixture()
        try f.dir.write(
            "api.json",
            """
            {"swagger": "2.0", "info": {"title": "Shop", "version": "1"}, "host": "shop.example.com", "basePath": "/api", "schemes": ["https"],
             "securityDefinitions": {"key": {"type": "apiKey", "name": "X-Api-Key", "in": "header"}},
             "paths": {
               "/orders/{id}": {"get": {"operationId": "getOrder", "parameters": [{"name": "id", "in": "path", "required": true, "type": "integer", "x-example": 12}],
                                        "security": [{"key": []}], "responses": {"200": {"description": "ok"}}},
                                "put": {"operationId": "putOrder", "parameters": [{"name": "id", "in": "path", "required": true, "x-example": 12},
                                        {"name": "order", "in": "body", "schema": {"properties": {"qty": {"type": "integer", "example": 2}}}}],
                                        "responses": {"200": {"description": "ok"}}}}}}
            """)
        let run = try f.run(["import", "swagger", f.dir.url("api.json"), "--service", "shop", "--only", "get"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("1 operation(s): 1 written") && run.stdout.contains("base_url: \"https://shop.example.com/api\""), "\(run.stdout)")
        #expect(run.stdout.contains("API key in header X-Api-Key"))
        let order = try f.dir.read("pool/shop/getOrder.yaml")
        #expect(order.contains("url: \"/orders/12\"") && order.contains("headers: {\"X-Api-Key\": \"${SHOP_X_API_KEY}\"}") && !order.contains("auth"))
        let put = try f.run(["import", "swagger", f.dir.url("api.json"), "--service", "shop"])
        let putOrder = try f.dir.read("pool/shop/putOrder.yaml")
        #expect(put.exitCode == 0 && putOrder.contains("body: {\"qty\":2}"), "\(putOrder)")

        try f.dir.write("broken.yaml", "openapi: 3.0.0\npaths:\n  /x: {get: [unclosed\n")
        let broken = try f.run(["import", "openapi", f.dir.url("broken.yaml"), "--service", "x"])
        #expect(broken.exitCode == 2 && broken.stderr.contains("broken.yaml:3"), "\(broken.stderr)")
    }

    @Test("once over an imported pool probes the test server as the document says")
    func onceOverImport() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("petstore.yaml", petstore)
        #expect(try f.run(["import", "openapi", f.dir.url("petstore.yaml"), "--service", "pets", "--tag", "pets"]).exitCode == 0)
        // The POST is written disabled; enabled deliberately, as its file says.
        let create = try f.dir.read("pool/pets/createPet.yaml")
        #expect(create.contains("# POST changes data") && create.contains("enabled: false\n"))
        try f.dir.write("pool/pets/createPet.yaml", create.replacingOccurrences(of: "enabled: false\n", with: ""))
        f.server.route("/v1/token", reply: .json(200, #"{"access_token":"tok-9"}"#))
        f.server.route("/v1/pets") { request in
            guard request.header("Authorization") == "Bearer tok-9" else { return .text(401, "no") }
            if request.method == "POST" { return request.bodyText == #"{"name":"doggie","age":3}"# ? .json(201, "{}") : .text(400, "bad body") }
            return request.query["limit"] == "20" && request.header("X-Request-Id") == "req-1" ? .json(200, "[]") : .text(400, "bad query")
        }
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write(
            "config.yaml",
            config.replacingOccurrences(
                of: "services:\n", with: "services:\n  pets:\n    base_url: \(f.server.baseURL)/v1\n    auth: {url: /token, method: GET}\n"))
        let once = try f.run(["once"])
        #expect(once.exitCode == 0 && once.stdout.contains("All 2 interfaces answered as expected"), "\(once.stdout)\(once.stderr)")
        #expect(f.server.hits("/v1/pets") == 2)
    }

    @Test("a Postman collection: folders become sub-folders, variables resolved or left to the environment, bearer auth")
    func postman() throws {
        let f = try OrchestratorFixture()
        try f.dir.write(
            "collection.json",
            #"""
            {"info": {"name": "Shop", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
             "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
             "variable": [{"key": "baseUrl", "value": "https://shop.example.com/api"}, {"key": "token", "value": ""}, {"key": "lang", "value": "zh"}],
             "item": [
               {"name": "Orders", "item": [
                 {"name": "Get order", "request": {"method": "GET",
                   "header": [{"key": "Accept-Language", "value": "{{lang}}"}, {"key": "Authorization", "value": "Bearer {{token}}"},
                              {"key": "X-Old", "value": "1", "disabled": true}],
                   "url": {"raw": "{{baseUrl}}/orders/:id?expand=items", "host": ["{{baseUrl}}"], "path": ["orders", ":id"],
                           "variable": [{"key": "id", "value": "42"}]}}},
                 {"name": "Create order", "request": {"method": "POST", "body": {"mode": "raw", "raw": "{\"qty\": 2, \"sku\": \"{{sku}}\"}"},
                   "url": "{{baseUrl}}/orders"}}
               ]},
               {"name": "Health", "request": {"method": "GET", "auth": {"type": "noauth"}, "url": "{{baseUrl}}/health"}}
             ]}
            """#)
        let run = try f.run(["import", "postman", f.dir.url("collection.json"), "--service", "shop"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains("3 operation(s): 3 written") && run.stdout.contains("base_url: \"https://shop.example.com/api\""), "\(run.stdout)")
        #expect(run.stdout.contains("set in /etc/vigil/vigil.env (the files or the block above refer to them): sku\n"), "\(run.stdout)")
        let get = try f.dir.read("pool/shop/Orders/Get-order.yaml")
        #expect(get.contains("url: \"/orders/42\"\nparams: {\"expand\": \"items\"}\nheaders: {\"Accept-Language\": \"zh\"}\nauth: true"), "\(get)")
        #expect(!get.contains("Authorization") && !get.contains("X-Old"))
        let create = try f.dir.read("pool/shop/Orders/Create-order.yaml")
        #expect(create.contains("body: {\"qty\":2,\"sku\":\"${sku}\"}"), "an unknown variable is left to the environment: \(create)")
        #expect(!(try f.dir.read("pool/shop/Health.yaml")).contains("auth: true"), "noauth on the request wins")
    }

    @Test("a HAR capture: one file per distinct method and URL; a bearer token is auth: true, cookies a ${…} reference")
    func har() throws {
        let f = try OrchestratorFixture()
        func entry(_ method: String, _ url: String, status: Int = 200, body: String? = nil) -> String {
            """
            {"request": {"method": "\(method)", "url": "\(url)", "headers": [{"name": "Authorization", "value": "Bearer s3cret-token"},
              {"name": "Cookie", "value": "sid=abc123"}, {"name": "X-Client", "value": "web"}, {"name": "User-Agent", "value": "Mozilla"}],
              "queryString": [{"name": "page", "value": "1"}], "cookies": [{"name": "sid", "value": "abc123"}]\(body.map { ", \"postData\": {\"mimeType\": \"application/json\", \"text\": \($0)}" } ?? "")},
             "response": {"status": \(status)}}
            """
        }
        let entries = [
            entry("GET", "https://app.example.com/api/items?page=1"), entry("GET", "https://app.example.com/api/items?page=2"),
            entry("POST", "https://app.example.com/api/items", status: 201, body: "\"{\\\"name\\\":\\\"x\\\"}\""),
            entry("GET", "https://cdn.example.net/logo.png"),
        ]
        try f.dir.write("capture.har", "{\"log\": {\"version\": \"1.2\", \"entries\": [\(entries.joined(separator: ","))]}}")
        let run = try f.run(["import", "har", f.dir.url("capture.har"), "--service", "app"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout.contains("3 operation(s): 3 written") && run.stdout.contains("base_url: \"https://app.example.com\""), "\(run.stdout)")
        #expect(run.stdout.contains("  ${APP_COOKIE}  (header Cookie)"), "\(run.stdout)")
        let list = try f.dir.read("pool/app/get-api-items.yaml")
        #expect(
            list.contains(
                "url: \"/api/items\"\nparams: {\"page\": \"1\"}\nheaders: {\"Cookie\": \"${APP_COOKIE}\", \"X-Client\": \"web\"}\nauth: true"),
            "\(list)")
        let post = try f.dir.read("pool/app/post-api-items.yaml")
        #expect(post.contains("body: {\"name\":\"x\"}") && post.contains("expect: {status: [201]}"), "\(post)")
        #expect(try f.dir.read("pool/app/get-https-cdn.example.net-logo.png.yaml").contains("url: \"https://cdn.example.net/logo.png\""))
        let all = try ["get-api-items", "post-api-items", "get-https-cdn.example.net-logo.png"].map { try f.dir.read("pool/app/\($0).yaml") }.joined()
        #expect(!all.contains("s3cret-token") && !all.contains("abc123") && !all.contains("Mozilla"))
        // With the suggested base_url, an auth block and the cookie in the environment, the imported files check clean.
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write(
            "config.yaml",
            config.replacingOccurrences(
                of: "services:\n", with: "services:\n  app:\n    base_url: https://app.example.com\n    auth: {url: /token}\n"))
        let check = try f.run(["check"], environment: ["APP_COOKIE": "sid=monitor"])
        #expect(check.exitCode == 0, "\(check.stdout)")
    }
}
