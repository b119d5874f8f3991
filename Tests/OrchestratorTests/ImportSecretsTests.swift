// `orchestrator import` of hostile or careless documents: HAR captures and Postman collections full of live
// credentials (query tokens, cookies, passwords in bodies, secret variables) write `${…}` references and list
// their names, never a value; long, empty, hidden and path-like names become valid file names.

import Foundation
import Shared
import TestSupport
import Testing

/// Every file's text under `directory`, joined.
private func allText(_ directory: String) -> String {
    importedFiles(directory).compactMap { try? String(contentsOfFile: directory + "/" + $0.path, encoding: .utf8) }.joined(separator: "\n")
}

@Suite("orchestrator import: secrets and names", .ownThread)
struct ImportSecretsTests {
    @Test("a HAR capture's credentials become ${…} references, listed by name; no value reaches a file or the output")
    func harSecrets() throws {
        let f = try OrchestratorFixture()
        let values = ["q-tok-5f8a9b2c", "sess-77c1d2e3", "Bearer-jwt-eyJhbGciOi", "pw-hunter2-xyz", "body-secret-991", "ak-3344556677"]
        let entries = [
            #"""
            {"request": {"method": "GET", "url": "https://app.example.com/api/items?access_token=q-tok-5f8a9b2c&page=1",
              "queryString": [{"name": "access_token", "value": "q-tok-5f8a9b2c"}, {"name": "page", "value": "1"}],
              "headers": [{"name": "Authorization", "value": "Bearer Bearer-jwt-eyJhbGciOi"}, {"name": "Cookie", "value": "sid=sess-77c1d2e3; theme=dark"},
                          {"name": "X-Api-Key", "value": "ak-3344556677"}, {"name": "Accept", "value": "application/json"}],
              "cookies": [{"name": "sid", "value": "sess-77c1d2e3"}]}, "response": {"status": 200}}
            """#,
            #"""
            {"request": {"method": "POST", "url": "https://app.example.com/api/login", "headers": [],
              "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "user=ann&password=pw-hunter2-xyz",
                           "params": [{"name": "user", "value": "ann"}, {"name": "password", "value": "pw-hunter2-xyz"}]}},
             "response": {"status": 200}}
            """#,
            #"""
            {"request": {"method": "PUT", "url": "https://app.example.com/api/profile", "headers": [],
              "postData": {"mimeType": "application/json", "text": "{\"name\":\"ann\",\"clientSecret\":\"body-secret-991\",\"note\":\"q-tok-5f8a9b2c\"}"}},
             "response": {"status": 200}}
            """#,
            #"""
            {"request": {"method": "GET", "url": "https://app.example.com/api/share/q-tok-5f8a9b2c", "headers": []}, "response": {"status": 200}}
            """#,
        ]
        try f.dir.write("capture.har", "{\"log\": {\"version\": \"1.2\", \"entries\": [\(entries.joined(separator: ","))]}}")
        let run = try f.run(["import", "har", f.dir.url("capture.har"), "--service", "app"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let written = allText(f.dir.url("pool/app"))
        for value in values {
            #expect(!written.contains(value) && !run.stdout.contains(value) && !run.stderr.contains(value), "\(value) copied:\n\(written)")
        }
        let items = try f.dir.read("pool/app/get-api-items.yaml")
        #expect(items.contains("params: {\"access_token\": \"${APP_ACCESS_TOKEN}\", \"page\": \"1\"}"), "\(items)")
        #expect(items.contains("\"Cookie\": \"${APP_COOKIE}\"") && items.contains("\"X-Api-Key\": \"${APP_X_API_KEY}\""), "\(items)")
        #expect(items.contains("auth: true\n") && !items.contains("Authorization"), "a bearer token is the service's auth: \(items)")
        #expect(try f.dir.read("pool/app/post-api-login.yaml").contains("form: {\"user\": \"ann\", \"password\": \"${APP_PASSWORD}\"}"))
        let profile = try f.dir.read("pool/app/put-api-profile.yaml")
        #expect(profile.contains("\"clientSecret\":\"${APP_CLIENTSECRET}\"") && profile.contains("\"note\":\"${APP_ACCESS_TOKEN}\""), "\(profile)")
        #expect(
            importedFiles(f.dir.url("pool/app")).map(\.path).contains("get-api-share-APP_ACCESS_TOKEN.yaml"),
            "a token in a path is replaced there too")
        for name in ["APP_ACCESS_TOKEN", "APP_COOKIE", "APP_X_API_KEY", "APP_PASSWORD", "APP_CLIENTSECRET"] {
            #expect(run.stdout.contains("  ${\(name)}  ("), "\(name) listed: \(run.stdout)")
        }
        #expect(run.stdout.contains("secrets in the document were written as environment references (no value was copied):"))
    }

    @Test("a Postman collection's secret variables, headers, query, bodies and auth blocks become ${…} references")
    func postmanSecrets() throws {
        let f = try OrchestratorFixture()
        try f.dir.write(
            "collection.json",
            #"""
            {"info": {"name": "Shop", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
             "variable": [{"key": "baseUrl", "value": "https://shop.example.com"}, {"key": "vaultRef", "value": "v-secret-4242", "type": "secret"},
                          {"key": "sessionId", "value": "sess-123456789"}, {"key": "lang", "value": "zh"}],
             "item": [
               {"name": "Search", "request": {"method": "GET", "url": "{{baseUrl}}/search?q=tea&token=tok-abcdef123&lang={{lang}}",
                 "header": [{"key": "X-Vault", "value": "{{vaultRef}}"}, {"key": "X-Session", "value": "{{sessionId}}"}],
                 "auth": {"type": "apikey", "apikey": [{"key": "key", "value": "api_key"}, {"key": "value", "value": "live-key-8877"},
                                                      {"key": "in", "value": "query"}]}}},
               {"name": "Login", "request": {"method": "POST", "url": "{{baseUrl}}/login",
                 "body": {"mode": "urlencoded", "urlencoded": [{"key": "user", "value": "ann"}, {"key": "password", "value": "pw-postman-55"}]},
                 "auth": {"type": "basic", "basic": [{"key": "username", "value": "ann"}, {"key": "password", "value": "basic-pw-6161"}]}}},
               {"name": "Mirror", "request": {"method": "GET", "url": "https://ann:url-pass-3131@mirror.example.com/status"}},
               {"name": "Profile", "request": {"method": "PATCH", "url": "{{baseUrl}}/me",
                 "body": {"mode": "raw", "raw": "{\"apiSecret\": \"raw-secret-7070\", \"ref\": \"{{vaultRef}}\", \"cost\": \"${5}\"}"}}}
             ]}
            """#)
        let run = try f.run(["import", "postman", f.dir.url("collection.json"), "--service", "shop"])
        #expect(run.exitCode == 0, "\(run.stderr)")
        let written = allText(f.dir.url("pool/shop"))
        for value in [
            "v-secret-4242", "sess-123456789", "tok-abcdef123", "live-key-8877", "pw-postman-55", "basic-pw-6161", "raw-secret-7070", "url-pass-3131",
        ] {
            #expect(!written.contains(value) && !run.stdout.contains(value) && !run.stderr.contains(value), "\(value) copied:\n\(written)")
        }
        let search = try f.dir.read("pool/shop/Search.yaml")
        #expect(
            search.contains("params: {\"q\": \"tea\", \"token\": \"${SHOP_TOKEN}\", \"lang\": \"zh\", \"api_key\": \"${SHOP_API_KEY}\"}"), "\(search)"
        )
        #expect(search.contains("headers: {\"X-Vault\": \"${vaultRef}\", \"X-Session\": \"${sessionId}\"}"), "\(search)")
        let login = try f.dir.read("pool/shop/Login.yaml")
        #expect(login.contains("form: {\"user\": \"ann\", \"password\": \"${SHOP_PASSWORD}\"}") && login.contains("enabled: false"), "\(login)")
        let profile = try f.dir.read("pool/shop/Profile.yaml")
        #expect(
            profile.contains("body: {\"apiSecret\":\"${SHOP_APISECRET}\",\"ref\":\"${vaultRef}\",\"cost\":\"$${5}\"}"),
            "literal ${ escaped: \(profile)")
        #expect(run.stdout.contains("    basic_auth: {username: \"${SHOP_USERNAME}\", password: \"${SHOP_PASSWORD}\"}"), "\(run.stdout)")
        #expect(try f.dir.read("pool/shop/Mirror.yaml").contains("url: \"https://ann:${SHOP_PASSWORD}@mirror.example.com/status\""))
        for name in ["vaultRef", "sessionId", "SHOP_TOKEN", "SHOP_API_KEY", "SHOP_APISECRET"] {
            #expect(run.stdout.contains("  ${\(name)}  ("), "\(name) listed: \(run.stdout)")
        }
    }

    @Test("a 5 000-character, an empty, a hidden and a path-like name each become a valid file; the import goes on")
    func hostileNames() throws {
        let f = try OrchestratorFixture()
        let long = String(repeating: "a", count: 5_000)
        let names = [long, long + "b", "", "...", ".env", "../../etc/passwd", "a/b\\c", "ok"]
        let items = names.map { #"{"name": "\#($0.replacingOccurrences(of: "\\", with: "\\\\"))", "request": {"method": "GET", "url": "/x"}}"# }
        try f.dir.write(
            "collection.json",
            #"{"info": {"name": "N", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [\#(items.joined(separator: ",")), {"name": "../..", "item": [{"name": "in", "request": {"method": "GET", "url": "/y"}}]}, {"name": "line\nenabled: true", "request": {"method": "GET\nenabled: true", "url": "/z"}}]}"#
        )
        let run = try f.run(["import", "postman", f.dir.url("collection.json"), "--service", "n"])
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("skipped    GET ENABLED: TRUE /z: Vigil probes with GET, HEAD"), "a method that is not one: \(run.stdout)")
        let files = importedFiles(f.dir.url("pool/n")).map(\.path)
        #expect(files.count == 9, "every request has its own file: \(files)")
        for file in files {
            let components = file.split(separator: "/", omittingEmptySubsequences: false)
            #expect(components.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && $0 != ".." && $0.utf8.count <= 85 }, "\(file)")
        }
        #expect(files.contains { $0.hasPrefix(String(repeating: "a", count: 60)) && $0.count == 85 }, "the long name is shortened: \(files)")
        #expect(files.contains("etc-passwd.yaml") && files.contains("a-b-c.yaml") && files.contains("env.yaml"), "\(files)")
        #expect(!FileManager.default.fileExists(atPath: f.dir.url("etc")) && !FileManager.default.fileExists(atPath: f.dir.url("pool/etc")))

        // The files are a valid pool (ids of the allowed alphabet, unique).
        let config = try String(contentsOfFile: f.config, encoding: .utf8)
        try f.dir.write("config.yaml", config.replacingOccurrences(of: "services:\n", with: "services:\n  n:\n    base_url: \(f.server.baseURL)\n"))
        let check = try f.run(["check"])
        #expect(check.exitCode == 0 && check.stdout.contains("n: 9 interface(s)"), "\(check.stdout)\(check.stderr)")

        let bad = try f.run(["import", "postman", f.dir.url("collection.json"), "--service", "../x"])
        #expect(bad.exitCode == 2 && bad.stderr.contains("--service \"../x\": expected a name"), "\(bad.stderr)")
    }
}
