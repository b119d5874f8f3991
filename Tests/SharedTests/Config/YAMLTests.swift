// The YAML subset: what it reads, and what it refuses (with the line).

import Foundation
import Shared
import TestSupport
import Testing

@Suite("YAML subset", .ownThread)
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

    @Test("double-quoted escapes and unicode")
    func escapes() throws {
        let node = try YAML.parse(#"s: "tab\there\n\u00e9\"q\"""# + "\nzh: 获取用户信息\n")
        #expect(node["s"]?.scalar == "tab\there\né\"q\"")
        #expect(node["zh"]?.scalar == "获取用户信息")
    }

    @Test(
        "unsupported or broken YAML is refused with its line",
        arguments: [
            ("a: 1\n  b: 2\n", 2, "indentation"),
            ("a:\n\tb: 2\n", 2, "tab"),
            ("a: \"open\nb: 2\n", 1, "unterminated"),
            ("a: &anchor 1\n", 1, "anchors"),
            ("a: *alias\n", 1, "aliases"),
            ("a: !!str 1\n", 1, "tags"),
            ("a: 1\n---\nb: 2\n", 2, "several documents"),
            ("a: 1\na: 2\n", 2, "duplicate key"),
            ("a: [1, 2\n", 1, "unterminated flow"),
            ("a: x: y\n", 1, "cannot contain"),
            ("- a\nb: 1\n", 2, "list item"),
            ("  a: 1\nb: 2\n", 2, "less indented"),
        ])
    func refused(_ text: String, _ line: Int, _ phrase: String) {
        do {
            _ = try YAML.parse(text)
            Issue.record("expected an error for \(text.debugDescription)")
        } catch let error as SyntaxError {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(phrase), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
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
