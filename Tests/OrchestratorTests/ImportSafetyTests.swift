// `orchestrator import` kept safe in an operator's hands, on documents modelled on the real ones (Redocly's museum
// example, swagger-petstore's OpenAPI 3): only GET/HEAD/OPTIONS enabled, every other method written disabled and
// counted, HTTP basic → basic_auth and API keys → ${…} headers, --dry-run that writes nothing, files 0640, a $ref
// fan-out refused fast with its path.

import Foundation
import Shared
import TestSupport
import Testing

/// Like Redocly's museum-openapi-example: GET/POST/PATCH/DELETE on /special-events, POST /tickets, HTTP basic.
private let museum = #"""
    {"openapi": "3.1.0", "info": {"title": "Museum", "version": "1.2.1"},
     "servers": [{"url": "https://museum.example.com/api"}],
     "security": [{"MuseumPlaceholderAuth": []}],
     "components": {
       "securitySchemes": {"MuseumPlaceholderAuth": {"type": "http", "scheme": "basic"}},
       "parameters": {"EventId": {"name": "eventId", "in": "path", "required": true, "schema": {"type": "string"},
                                  "example": "dad4bce8-f5cb-4078-a211-995864315e39"}},
       "schemas": {"Event": {"type": "object", "properties": {"name": {"type": "string", "example": "Pirate Coding Workshop"},
                                                              "price": {"type": "number", "example": 25}}}}},
     "paths": {
       "/museum-hours": {"get": {"operationId": "getMuseumHours", "responses": {"200": {"description": "ok"}}}},
       "/special-events": {
         "post": {"operationId": "createSpecialEvent", "requestBody": {"required": true,
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
                  "responses": {"201": {"description": "created"}}},
         "get": {"operationId": "listSpecialEvents", "responses": {"200": {"description": "ok"}}}},
       "/special-events/{eventId}": {
         "parameters": [{"$ref": "#/components/parameters/EventId"}],
         "get": {"operationId": "getSpecialEvent", "responses": {"200": {"description": "ok"}}},
         "patch": {"operationId": "updateSpecialEvent", "requestBody": {"content": {"application/json":
                   {"schema": {"$ref": "#/components/schemas/Event"}}}}, "responses": {"200": {"description": "ok"}}},
         "delete": {"operationId": "deleteSpecialEvent", "responses": {"204": {"description": "gone"}}}},
       "/tickets": {"post": {"operationId": "buyMuseumTickets", "requestBody": {"content": {"application/json":
                   {"example": {"ticketType": "general", "ticketDate": "2023-09-07", "email": "todd@example.com"}}}},
                   "responses": {"201": {"description": "bought"}}}},
       "/tickets/{ticketId}/qr": {"get": {"operationId": "getTicketCode", "parameters": [{"name": "ticketId", "in": "path",
                   "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}}}}
    """#

/// Like swagger-petstore's OpenAPI 3: PUT /pet with a body, apiKey header api_key, OAuth 2 petstore_auth, and a
/// schema that refers to itself (a pet's parent is a pet).
private let petstore = #"""
    {"openapi": "3.0.4", "info": {"title": "Swagger Petstore", "version": "1.0.27"},
     "servers": [{"url": "/api/v3"}],
     "components": {
       "securitySchemes": {
         "petstore_auth": {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://petstore3.example.com/oauth/authorize",
                           "scopes": {"write:pets": "modify", "read:pets": "read"}}}},
         "api_key": {"type": "apiKey", "name": "api_key", "in": "header"}},
       "schemas": {"Pet": {"type": "object", "required": ["name"], "properties": {"id": {"type": "integer", "example": 10},
                   "name": {"type": "string", "example": "doggie"}, "parent": {"$ref": "#/components/schemas/Pet"},
                   "status": {"type": "string", "enum": ["available", "pending", "sold"]}}}}},
     "paths": {
       "/pet": {"put": {"operationId": "updatePet", "requestBody": {"required": true, "content": {"application/json":
                        {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                        "security": [{"petstore_auth": ["write:pets", "read:pets"]}], "responses": {"200": {"description": "ok"}}}},
       "/pet/findByStatus": {"get": {"operationId": "findPetsByStatus", "parameters": [{"name": "status", "in": "query",
                        "schema": {"type": "string", "default": "available"}}],
                        "security": [{"petstore_auth": ["read:pets"]}], "responses": {"200": {"description": "ok"}}}},
       "/pet/{petId}": {
         "get": {"operationId": "getPetById", "parameters": [{"name": "petId", "in": "path", "required": true, "example": 10}],
                 "security": [{"api_key": []}, {"petstore_auth": ["read:pets"]}], "responses": {"200": {"description": "ok"}}},
         "delete": {"operationId": "deletePet", "parameters": [{"name": "api_key", "in": "header", "example": "special-key-1234"},
                    {"name": "petId", "in": "path", "required": true, "example": 10}],
                    "security": [{"petstore_auth": ["write:pets"]}], "responses": {"200": {"description": "ok"}}}},
       "/store/inventory": {"get": {"operationId": "getInventory", "security": [{"api_key": []}], "responses": {"200": {"description": "ok"}}}}}}
    """#

/// Every file under `directory` (relative paths), with its permission bits.
func importedFiles(_ directory: String) -> [(path: String, mode: Int)] {
    let names = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).sorted()
    return names.compactMap { name in
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
        guard attributes?[.type] as? FileAttributeType == .typeRegular else { return nil }
        return (name, (attributes?[.posixPermissions] as? Int) ?? -1)
    }
}

@Suite("orchestrator import: safe to run", .ownThread)
struct ImportSafetyTests {
    @Test("the museum example: only GET is enabled, POST/PATCH/DELETE are written disabled and counted, basic → basic_auth")
    func museumWritesNothing() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("museum.json", museum)
        let run = try f.run(["import", "openapi", f.dir.url("museum.json"), "--service", "museum"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let files = importedFiles(f.dir.url("pool/museum"))
        #expect(files.count == 8 && files.allSatisfy { $0.mode == 0o640 }, "every pool file 0640: \(files)")
        for file in files {
            let text = try f.dir.read("pool/museum/" + file.path)
            let method = text.split(separator: "\n").first { $0.hasPrefix("method: ") }.map { String($0.dropFirst(8)) } ?? "?"
            if ["GET", "HEAD", "OPTIONS"].contains(method) { continue }
            #expect(text.contains("enabled: false\n") && text.contains("# \(method) changes data"), "\(file.path) stays disabled:\n\(text)")
            #expect(text.contains("set enabled: true here"), "the file says how to enable it deliberately")
        }
        #expect(try f.dir.read("pool/museum/getMuseumHours.yaml").contains("enabled") == false)
        #expect(
            run.stdout.contains(
                "disabled   4 operation(s) that change data (DELETE 1, PATCH 1, POST 2): written enabled: false, "
                    + "so that monitoring never creates, changes or deletes anything"), "\(run.stdout)")
        #expect(run.stdout.contains("disabled   1 operation(s) missing a required value"), "getTicketCode has no ticketId: \(run.stdout)")
        #expect(run.stdout.contains("(disabled: DELETE changes data)"), "the file line says why: \(run.stdout)")
        #expect(run.stdout.contains("    basic_auth: {username: \"${MUSEUM_USERNAME}\", password: \"${MUSEUM_PASSWORD}\"}\n"), "\(run.stdout)")
        #expect(run.stdout.contains("set in /etc/vigil/vigil.env (the files or the block above refer to them): MUSEUM_PASSWORD, MUSEUM_USERNAME"))
        #expect(!files.contains { (try? f.dir.read("pool/museum/" + $0.path))?.contains("auth: true") == true }, "basic is not a bearer token")
        #expect(
            run.stdout.components(separatedBy: "has no base_url").count == 2,
            "the missing base_url is said once, not once per file: \(run.stdout)")

        // With the suggested block, the pool checks clean: 3 enabled, 5 disabled.
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        let block =
            "  museum:\n    base_url: \(f.server.baseURL)\n    basic_auth: {username: \"${MUSEUM_USERNAME}\", password: \"${MUSEUM_PASSWORD}\"}\n"
        try f.dir.write("config.yaml", config.replacingOccurrences(of: "services:\n", with: "services:\n" + block))
        let check = try f.run(["check"], environment: ["MUSEUM_USERNAME": "monitor", "MUSEUM_PASSWORD": "pw-1"])
        #expect(check.exitCode == 0 && check.stdout.contains("museum: 8 interface(s) (5 disabled)"), "\(check.stdout)\(check.stderr)")
    }

    @Test("the petstore example: PUT /pet disabled with its body, API key header as ${…}, OAuth 2 as auth: true, --only kept")
    func petstoreSecurity() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("petstore.json", petstore)
        let run = try f.run(["import", "openapi", f.dir.url("petstore.json"), "--service", "pets"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let update = try f.dir.read("pool/pets/updatePet.yaml")
        #expect(update.contains("method: PUT") && update.contains("enabled: false") && update.contains("auth: true"), "\(update)")
        #expect(
            update.contains("body: {\"id\":10,\"name\":\"doggie\",\"status\":\"available\"}"), "a self-referring schema ends its cycle: \(update)")
        let byId = try f.dir.read("pool/pets/getPetById.yaml")
        #expect(byId.contains("headers: {\"api_key\": \"${PETS_API_KEY}\"}") && !byId.contains("auth: true"), "\(byId)")
        #expect(!byId.contains("enabled"), "a GET with everything it needs is enabled")
        #expect(try f.dir.read("pool/pets/findPetsByStatus.yaml").contains("auth: true\n"))
        let delete = try f.dir.read("pool/pets/deletePet.yaml")
        #expect(
            !delete.contains("special-key-1234") && delete.contains("\"api_key\": \"${PETS_API_KEY}\""), "an example key is a secret too: \(delete)")
        #expect(run.stdout.contains("API key in header api_key") && run.stdout.contains("petstore_auth (token: auth: true)"), "\(run.stdout)")
        #expect(run.stdout.contains("say how Vigil gets a token for the 3 file(s) with auth: true"), "\(run.stdout)")
        #expect(run.stdout.contains("refer to them): PETS_API_KEY\n"), "\(run.stdout)")
        #expect(run.stdout.contains("  ${PETS_API_KEY}  (API key api_key in header)"), "\(run.stdout)")

        let only = try f.run(["import", "openapi", f.dir.url("petstore.json"), "--service", "put", "--only", "PUT"])
        #expect(
            only.stdout.contains("1 operation(s): 1 written") && only.stdout.contains("disabled   1 operation(s) that change data (PUT 1)"),
            "\(only.stdout)")
        #expect(importedFiles(f.dir.url("pool/put")).map(\.path) == ["updatePet.yaml"])
    }

    @Test("--dry-run says what it would write and writes nothing")
    func dryRun() throws {
        let f = try OrchestratorFixture()
        try f.dir.write("museum.json", museum)
        let run = try f.run(["import", "openapi", f.dir.url("museum.json"), "--service", "museum", "--dry-run"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        #expect(run.stdout.contains("would write \(f.dir.url("pool/museum/getMuseumHours.yaml"))\n"), "\(run.stdout)")
        #expect(run.stdout.contains("8 operation(s): would write 8, 0 unchanged") && run.stdout.contains("(dry run: nothing written)"))
        #expect(!run.stdout.contains("written    ") && !run.stdout.contains("(dry run)\n"), "\(run.stdout)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.url("pool/museum")))
    }

    @Test("a $ref fan-out (10 schemas, each $ref-ing the next 24 times) is refused in under a second with its $ref path")
    func refFanOut() throws {
        let f = try OrchestratorFixture()
        var schemas: [String] = []
        for i in 0..<10 {
            let next = i == 9 ? #"{"type": "string", "example": "leaf"}"# : ##"{"$ref": "#/components/schemas/S\##(i + 1)"}"##
            let properties = (0..<24).map { "\"p\($0)\": \(next)" }.joined(separator: ", ")
            schemas.append("\"S\(i)\": {\"type\": \"object\", \"properties\": {\(properties)}}")
        }
        try f.dir.write(
            "bomb.json",
            """
            {"openapi": "3.0.0", "info": {"title": "bomb", "version": "1"}, "components": {"schemas": {\(schemas.joined(separator: ", "))}},
             "paths": {"/x": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/S0"}}}},
                                       "responses": {"200": {"description": "ok"}}}}}}
            """)
        let clock = ContinuousClock()
        let start = clock.now
        let run = try f.run(["import", "openapi", f.dir.url("bomb.json"), "--service", "bomb"], timeout: 30)
        let elapsed = clock.now - start
        #expect(run.exitCode == 2, "\(run.stdout)")
        #expect(elapsed < .seconds(1), "refused in \(elapsed)")
        #expect(
            run.stderr.contains("bomb.json: POST /x: more than 20000 schemas to expand at #/components/schemas/S0 → #/components/schemas/S1 → "),
            "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.url("pool/bomb")), "nothing written")
    }
}
