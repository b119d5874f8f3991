// The path language of JSON checks and the merge of a service's expect with an interface's, in process.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("JSON paths and expect defaults, in process", .ownThread)
struct ExpectationTests {
    static func document() throws -> JSONValue {
        JSONValue(node: try JSONDocument.parse(#"{"code":0,"data":{"items":[{"id":7},{"id":8}],"odd key":1,"a.b":2,"键":"值"}}"#))
    }

    @Test(
        "accepted paths reach their value, in one canonical spelling",
        arguments: [
            ("code", #"$["code"]"#, "0"), ("$.code", #"$["code"]"#, "0"), ("$", "$", nil),
            ("data.items[0].id", #"$["data"]["items"][0]["id"]"#, "7"), ("data.items[-1].id", #"$["data"]["items"][-1]["id"]"#, "8"),
            ("data['odd key']", #"$["data"]["odd key"]"#, "1"), (#"data["a.b"]"#, #"$["data"]["a.b"]"#, "2"),
            ("data.键", #"$["data"]["键"]"#, #""值""#), ("$[\"data\"].items[1]", #"$["data"]["items"][1]"#, #"{"id":8}"#),
        ])
    func accepted(_ text: String, _ canonical: String, _ value: String?) throws {
        let path = try JSONPath(parsing: text)
        #expect(path.canonical == canonical)
        let found = try path.resolve(in: try Self.document()).get()
        if let value { #expect(found.serialized() == value) } else { #expect(found == (try Self.document())) }
    }

    @Test(
        "paths that could select many values, or are not paths, are refused with the position",
        arguments: [
            ("data.items[*].id", "at character 12: wildcards ([*]) select many values; name one position"),
            ("data.*", "at character 6: wildcards (*) select many values; name one member"),
            ("$..id", "at character 2: recursive descent (..) is not supported; write the whole path"),
            ("items[0:2]", "at character 8: slices and unions select many values; name one position"),
            ("items[0,1]", "at character 8: slices and unions select many values; name one position"),
            ("items[?(@.id)]", "at character 7: filters ([?(…)]) are not supported; name one position"),
            ("", "the path is empty; write $ for the whole document"),
            ("data.", "at character 6: expected a member name (letters, digits, _ or -), found the end"),
            ("data[0", "at character 7: expected ], found the end"),
            ("data['x", "at character 8: expected the closing ', found the end"),
            ("1abc", "at character 1: expected a member name (letters, digits, _ or -), found \"1\""),
            ("$x", "at character 2: expected . or [ after $, found \"x\""),
        ])
    func refused(_ text: String, _ message: String) {
        #expect(throws: JSONPath.SyntaxError(description: message)) { try JSONPath(parsing: text) }
    }

    @Test("a missing value says where the path stopped")
    func missing() throws {
        let cases: [(String, String)] = [
            ("data.list", #"no member "list""#), ("data.items[5]", "no position 5 in an array of 2"),
            ("code.x", "number where an object was expected"), ("data[0]", "object where an array was expected"),
        ]
        for (text, reason) in cases {
            guard case let .failure(stop) = try JSONPath(parsing: text).resolve(in: try Self.document()) else {
                Issue.record("\(text) resolved")
                continue
            }
            #expect(stop.reason == reason, "\(text)")
        }
    }

    @Test("numbers are equal by value, objects whatever their order; 0 is not \"0\"")
    func equality() throws {
        func value(_ json: String) throws -> JSONValue { JSONValue(node: try JSONDocument.parse(json)) }
        #expect(try value("1").jsonEquals(try value("1.0")) && (try value("1e2")).jsonEquals(try value("100")))
        #expect(try value(#"{"a":1,"b":[2]}"#).jsonEquals(try value(#"{"b":[2.0],"a":1}"#)))
        #expect(!(try value("0")).jsonEquals(try value(#""0""#)))
        #expect(!(try value("[1,2]")).jsonEquals(try value("[2,1]")))
    }

    @Test("an interface's expect adds to or overrides its service's, key by key; inherit: false leaves it out")
    func merge() throws {
        func read(_ yaml: String, interface: Bool = true) throws -> Shared.Expectation {
            let dir = TemporaryDirectory("expect")
            try dir.write(
                "config.yaml", "services:\n  svc:\n    expect:\n" + yaml.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n") + "\n")
            return try #require(try ConfigLoader.load(path: dir.url("config.yaml"), environment: [:]).services["svc"]?.expect)
        }
        let service = try read(
            """
            status: 200
            max_latency: 2s
            body_contains: [ok]
            headers: {Content-Type: {matches: json}, X-Env: prod}
            json: [{path: code, equals: 0}, {path: data, exists: true}]
            cert_min_days: 30
            """)
        var own = Shared.Expectation()
        own.statuses = [201]
        own.bodyContains = ["done"]
        own.headers = [HeaderCheck(name: "content-type", test: .exists(true))]
        own.json = [JSONCheck(path: try JSONPath(parsing: "$.code"), test: .equals(.number("7")))]
        let merged = own.applied(over: service)
        #expect(merged.statuses == [201] && merged.maxLatency == 2 && merged.certMinDays == 30)
        #expect(merged.bodyContains == ["ok", "done"])
        #expect(merged.headers.map(\.name) == ["X-Env", "content-type"], "the own check of a header replaces the service's")
        #expect(merged.json.map(\.path.text) == ["data", "$.code"], "$.code and code are one path")
        #expect(own.overrides(of: service) == ["status", "header Content-Type", "json code"])
        var optOut = Shared.Expectation()
        optOut.inherits = false
        #expect(optOut.applied(over: service) == optOut)
        #expect(Shared.Expectation().applied(over: nil) == Shared.Expectation())
    }
}
