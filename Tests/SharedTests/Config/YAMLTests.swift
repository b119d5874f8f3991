// The YAML reader: what it reads (block and flow collections, scalars over several lines, anchors, tags,
// directives, several documents) and what it refuses, always with the line and column.

import Foundation
import Shared
import TestSupport
import Testing

@Suite("YAML reader", .ownThread)
struct YAMLTests {
    @Test("mappings, sequences, flow collections, quotes, comments and nesting")
    func structures() throws {
        let node = try YAML.parse(
            """
            # comment
            a: 1
            b: "two # not a comment"   # a comment
            c: 'it''s'
            list:
              - x
              - {k: v, n: [1, 2]}
              - name: item
                url: /p
            same_indent:
            - one
            - two
            empty:
            url: http://h:8080/x?y=1#frag
            nested:
              deeper:
                value: yes
            """)
        #expect(node["a"]?.scalar == "1")
        #expect(node["b"]?.scalar == "two # not a comment")
        #expect(node["c"]?.scalar == "it's")
        let list = try #require(node["list"]?.items)
        #expect(list.count == 3)
        #expect(list[1]["n"]?.items?.map(\.scalar) == ["1", "2"])
        #expect(list[2]["name"]?.scalar == "item" && list[2]["url"]?.scalar == "/p")
        #expect(list[2].line == 8)
        #expect(node["same_indent"]?.items?.map(\.scalar) == ["one", "two"])
        #expect(node["empty"]?.isNull == true)
        #expect(node["url"]?.scalar == "http://h:8080/x?y=1#frag")
        #expect(node["nested"]?["deeper"]?["value"]?.scalar == "yes")
    }

    @Test("block scalars: literal, folded, and chomping")
    func blockScalars() throws {
        let node = try YAML.parse(
            """
            lit: |
              line one
                indented
              line three
            fold: >
              folded
              text

              new paragraph
            strip: |-
              no newline
            keep: |+
              kept

            after: end
            """)
        #expect(node["lit"]?.scalar == "line one\n  indented\nline three\n")
        #expect(node["fold"]?.scalar == "folded text\nnew paragraph\n")
        #expect(node["strip"]?.scalar == "no newline")
        #expect(node["keep"]?.scalar == "kept\n\n")
        #expect(node["after"]?.scalar == "end")
    }

    @Test("double-quoted escapes and unicode, \\x \\N \\_ \\L \\P, and an escaped line break")
    func escapes() throws {
        let node = try YAML.parse(#"s: "tab\there\n\u00e9\"q\"""# + "\nzh: 获取用户信息\n")
        #expect(node["s"]?.scalar == "tab\there\né\"q\"")
        #expect(node["zh"]?.scalar == "获取用户信息")
        let more = try YAML.parse("e: \"\\x41\\U0001F600\\N\\_\\L\\P|\\e\\0 \\\n    joined\"\n")
        #expect(more["e"]?.scalar == "A😀\u{85}\u{A0}\u{2028}\u{2029}|\u{1B}\u{0} joined")
    }

    @Test("flow collections, quoted and plain scalars over several lines, folded as YAML 1.2 folds them")
    func multiLine() throws {
        let node = try YAML.parse(
            """
            example: {
              "versions": [
                {"id": "v2.0", "links": [{"href": "http://127.0.0.1/v2/",
                                          "rel": "self"}]},
                {id: v3.0, status: EXPERIMENTAL},
              ]
            }
            plain: a plain value
              wrapped onto two lines

              and a paragraph
            single: 'it''s
              folded'
            double: "one \\
              two
              three"
            """)
        let versions = try #require(node["example"]?["versions"]?.items)
        #expect(versions.count == 2)
        #expect(versions[0]["links"]?.items?.first?["rel"]?.scalar == "self")
        #expect(versions[1]["status"]?.scalar == "EXPERIMENTAL")
        #expect(versions[1].line == 5)
        #expect(node["plain"]?.scalar == "a plain value wrapped onto two lines\nand a paragraph")
        #expect(node["single"]?.scalar == "it's folded")
        #expect(node["double"]?.scalar == "one two three")
    }

    @Test("an alias reads as its anchored node (lists, mappings, scalars, keys), at the alias's line")
    func anchors() throws {
        let node = try YAML.parse(
            """
            defaults: &defaults {timeout: 10s, retries: 2}
            first:
              settings: *defaults
            names: [&n alpha, *n]
            *n : as a key
            second: &list
              - x
            third: *list
            """)
        #expect(node["first"]?["settings"]?["retries"]?.scalar == "2")
        #expect(node["first"]?["settings"]?.line == 3)
        #expect(node["names"]?.items?.map(\.scalar) == ["alpha", "alpha"])
        #expect(node["alpha"]?.scalar == "as a key")
        #expect(node["third"]?.items?.map(\.scalar) == ["x"])
    }

    @Test("merge keys: << merges a mapping or a list of them, own keys first, then the earlier mapping; \"<<\" is a key")
    func mergeKeys() throws {
        let node = try YAML.parse(
            """
            base: &base {timeout: 10s, retries: 2}
            eu: &eu {retries: 5, region: eu}
            one:
              <<: *base
              retries: 3
            two: {<<: [*base, *eu], name: x}
            literal: {"<<": text}
            """)
        #expect(node["one"]?.entries?.map(\.key) == ["timeout", "retries"])
        #expect(node["one"]?["retries"]?.scalar == "3")
        #expect(node["two"]?["retries"]?.scalar == "2")
        #expect(node["two"]?["region"]?.scalar == "eu")
        #expect(node["two"]?["name"]?.scalar == "x")
        #expect(node["literal"]?["<<"]?.scalar == "text")
        #expect(throws: SyntaxError.self) { try YAML.parse("a:\n  <<: [1]\n") }
    }

    @Test("an alias bomb is refused at the alias that passes the node limit, never expanded")
    func aliasBomb() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = try #require(throws: SyntaxError.self) { try YAML.parse(text) }
        #expect(error.message.contains("alias bomb"), "\(error)")
        #expect((5...10).contains(error.line), "\(error)")
        #expect(error.column > 1)
    }

    @Test("tags: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq are honoured; other tags keep the value as written")
    func tags() throws {
        let node = try YAML.parse(
            """
            %TAG !e! tag:example.com,2000:
            ---
            text: !!str 123
            number: !!int "42"
            float: !!float '1.5'
            flag: !!bool "true"
            nothing: !!null ""
            map: !!map {a: 1}
            seq: !!seq
            - 1
            local: !thing 7
            named: !e!type value
            nonSpecific: ! 12
            """)
        #expect(node["text"]?.core == .string("123"))
        #expect(node["number"]?.core == .integer("42"))
        #expect(node["float"]?.core == .float("1.5", 1.5))
        #expect(node["flag"]?.core == .bool(true))
        #expect(node["nothing"]?.isNull == true)
        #expect(node["map"]?["a"]?.scalar == "1")
        #expect(node["seq"]?.items?.count == 1)
        #expect(node["local"]?.core == .integer("7"))
        #expect(node["named"]?.scalar == "value")
        #expect(node["nonSpecific"]?.core == .string("12"))
    }

    @Test("several documents: parseDocuments reads each (an importer's stream), parse refuses the second")
    func documents() throws {
        let stream = "%YAML 1.2\n---\na: 1\n...\n---\n- b\n--- text\n---\n"
        let documents = try YAML.parseDocuments(stream)
        #expect(documents.count == 4)
        #expect(documents[0]["a"]?.scalar == "1")
        #expect(documents[1].items?.first?.scalar == "b")
        #expect(documents[2].scalar == "text")
        #expect(documents[3].isNull)
        #expect(try YAML.parseDocuments("# only a comment\n").isEmpty)
        let error = try #require(throws: SyntaxError.self) { try YAML.parse(stream) }
        #expect(error.line == 5 && error.message.contains("several documents"), "\(error)")
        // No document is an empty mapping (an empty config means the defaults); an explicit empty one is null.
        #expect(try YAML.parse("# nothing\n...\n").entries?.isEmpty == true)
        #expect(try YAML.parse("---\n# nothing\n...\n").isNull)
    }

    @Test("explicit keys and compact nested collections")
    func explicitKeys() throws {
        let node = try YAML.parse(
            """
            ? first key
            : - a
              - b
            ? |
              block key
            : value
            - key: inside
            """.replacingOccurrences(of: "- key: inside", with: "list:\n- - nested\n  - key: inside\n    more: x"))
        #expect(node["first key"]?.items?.map(\.scalar) == ["a", "b"])
        #expect(node["block key\n"]?.scalar == "value")
        let list = try #require(node["list"]?.items?.first?.items)
        #expect(list[0].scalar == "nested")
        #expect(list[1]["more"]?.scalar == "x")
    }

    @Test(
        "broken or unrepresentable YAML is refused with its line",
        arguments: [
            ("a: 1\n  b: 2\n", 2, "indentation"),
            ("a:\n\tb: 2\n", 2, "tab"),
            ("a: \"open\nb: 2\n", 1, "unterminated"),
            ("a: *alias\n", 1, "names no anchor"),
            ("a: !!int x\n", 1, "does not fit its tag"),
            ("a: !e!x 1\n", 1, "not declared"),
            ("a: 1\n---\nb: 2\n", 2, "several documents"),
            ("a: 1\na: 2\n", 2, "duplicate key"),
            ("a: [1, 2\n", 1, "unterminated flow"),
            ("a: [1,\n2]\n", 2, "indented more"),
            ("a: x: y\n", 1, "cannot contain"),
            ("- a\nb: 1\n", 2, "list item"),
            ("  a: 1\nb: 2\n", 2, "less indented"),
            ("? [a]\n: b\n", 1, "text keys only"),
            (": b\n", 1, "cannot be empty"),
            ("\"a\nb\": 1\n", 1, "one line"),
            ("a: 'x\n---\n'\n", 2, "document marker"),
            ("a: \"\\q\"\n", 1, "unknown escape"),
            ("%YAML 2.0\n---\na\n", 1, "%YAML 1.x"),
            ("a: &x &y 1\n", 1, "only one anchor"),
        ])
    func refused(_ text: String, _ line: Int, _ phrase: String) {
        do {
            _ = try YAML.parse(text)
            Issue.record("expected an error for \(text.debugDescription)")
        } catch let error as SyntaxError {
            #expect(error.line == line, "\(error)")
            #expect(error.column >= 1, "\(error)")
            #expect(error.message.contains(phrase), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("every corpus file reads the same with CRLF, with lone CR and with a byte-order mark, errors on the same line")
    func lineEndingVariants() throws {
        let folder = parserFixtures + "/yaml"
        let names = FileIO.listIfPresent(folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names.count >= 40)
        for name in names {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            let original = Result { try YAML.parse(text) }.map(CanonicalTree.render)
            let lf = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            for (variant, changed) in [
                ("lf", lf), ("crlf", lf.replacingOccurrences(of: "\n", with: "\r\n")), ("cr", lf.replacingOccurrences(of: "\n", with: "\r")),
                ("bom", "\u{FEFF}" + lf),
            ] {
                let read = Result { try YAML.parse(changed) }.map(CanonicalTree.render)
                switch (original, read) {
                case let (.success(a), .success(b)): #expect(a == b, "\(name) (\(variant))")
                case let (.failure(a as SyntaxError), .failure(b as SyntaxError)): #expect(a.line == b.line, "\(name) (\(variant)): \(a) / \(b)")
                default: Issue.record("\(name) (\(variant)): \(original) / \(read)")
                }
            }
        }
    }

    @Test("the PyYAML dumps at width 20 (plain, double- and single-quoted, flow style) read back as one structure")
    func pyyamlDumps() throws {
        let base = parserFixtures + "/yaml/pyyaml-width20"
        let expected = try String(contentsOfFile: base + ".tree", encoding: .utf8).trimmingCharacters(in: .newlines)
        for suffix in ["", "-double", "-single", "-flow"] {
            let text = try String(contentsOfFile: base + suffix + ".yaml", encoding: .utf8)
            #expect(CanonicalTree.render(try YAML.parse(text)) == expected, "pyyaml-width20\(suffix).yaml")
        }
    }
}

@Suite("JSON documents", .ownThread)
struct JSONDocumentTests {
    @Test("values keep their lines and types")
    func lines() throws {
        let node = try JSONDocument.parse("{\n  \"a\": 1,\n  \"b\": [true, null, \"x\"],\n  \"c\": {\"d\": \"\\u00e9\"}\n}")
        #expect(node["a"]?.line == 2 && node["a"]?.scalar == "1")
        #expect(node["b"]?.line == 3)
        #expect(node["c"]?["d"]?.scalar == "é")
        #expect(JSONValue(node: node).serialized() == #"{"a":1,"b":[true,null,"x"],"c":{"d":"é"}}"#)
    }

    @Test("\\u escapes: a surrogate pair is one character, an unpaired surrogate is U+FFFD (never a crash)")
    func surrogates() throws {
        let text = #"{"pair": "\uD83D\uDE00", "lone": "\uD800\u0041", "tail": "\uDC00x"}"#
        let node = try JSONDocument.parse(text)
        #expect(node["pair"]?.scalar == "😀")
        #expect(node["lone"]?.scalar == "\u{FFFD}A")
        #expect(node["tail"]?.scalar == "\u{FFFD}x")
        // The record scanner decodes the same escapes the same way.
        let line =
            #"{"v":1,"kind":"result","run":"20261122T150000Z-tick","shard":"1/1","id":"a","service":"s","name":"\uD83D\uDE00 \uD800\u0041","method":"GET","url":"u","outcome":"ok","attempts":1,"started_at":"2026-11-22T15:00:00.000Z"}"#
        #expect(ProbeResult.scan(Array(line.utf8))?.name == "😀 \u{FFFD}A")
    }

    @Test("syntax errors name the line", arguments: [("{\n\"a\": 1,\n}", 3), ("{\"a\": tru}", 1), ("{\n\"a\": \"x\n\"}", 2)])
    func errors(_ text: String, _ line: Int) {
        #expect(throws: SyntaxError.self) { _ = try JSONDocument.parse(text) }
        if case let .failure(error as SyntaxError) = Result(catching: { try JSONDocument.parse(text) }) {
            #expect(error.line == line, "\(error)")
        }
    }
}
