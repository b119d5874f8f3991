// YAML: the public entry points of Vigil's YAML 1.2 reader — one document for a config or interface file, every
// document of a stream for an importer — and the stream level of the grammar: directives, "---" and "...".
// The node grammar is in YAMLParser (block), YAMLFlow, YAMLScalars and YAMLProperties (anchors, tags).

/// Reads YAML 1.2 text into `Node`s. What cannot be represented (a list as a mapping key) is refused with its line.
public enum YAML {
    /// How deep collections may nest (the same limit as `JSONDocument`): deeper input is refused, never a crash.
    public static let maxDepth = 256

    /// The most nodes a document may hold once its aliases are expanded: 100 000, plus 10 a byte of input. An
    /// alias bomb ("billion laughs") is refused at the alias that would pass it, never expanded.
    public static func nodeLimit(bytes: Int) -> Int { 100_000 + 10 * bytes }

    /// Parses `text`, which must hold at most one document. No document at all (an empty file, only comments or
    /// "...") is an empty mapping, so that an empty config means the defaults; an explicit empty document ("---")
    /// is null, as YAML reads it. A byte-order mark is skipped; LF, CRLF and lone CR line endings read the same
    /// (YAML 1.2 §5.4), so are the line numbers in errors.
    public static func parse(_ text: String) throws -> Node {
        try read(text, limit: 1).first ?? Node(.mapping([]), line: 1)
    }

    /// Parses every document of a stream (`---` separated), in order; an empty document is a null scalar and a
    /// stream without any document is an empty list.
    public static func parseDocuments(_ text: String) throws -> [Node] {
        try read(text, limit: Int.max)
    }

    private static func read(_ text: String, limit: Int) throws -> [Node] {
        let bytes = prepared(text)
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = YAMLParser(buffer)
            return try parser.stream(limit: limit)
        }
    }

    /// The bytes of `text` without a leading byte-order mark, CRLF and lone CR turned into LF.
    static func prepared(_ text: String) -> [UInt8] {
        var text = text
        var bytes: [UInt8] = text.withUTF8 { raw in
            var start = 0
            if raw.count >= 3, raw[0] == 0xEF, raw[1] == 0xBB, raw[2] == 0xBF { start = 3 }
            return Array(raw[start...])
        }
        guard bytes.contains(13) else { return bytes }
        var out = 0
        var i = 0
        let count = bytes.count
        while i < count {
            let c = bytes[i]
            if c == 13 {
                bytes[out] = 10
                if i + 1 < count, bytes[i + 1] == 10 { i += 1 }
            } else {
                bytes[out] = c
            }
            out += 1
            i += 1
        }
        bytes.removeLast(count - out)
        return bytes
    }
}

extension YAMLParser {
    /// The documents of the stream, at most `limit` (a further one is refused with its line).
    mutating func stream(limit: Int) throws -> [Node] {
        try checkCharacters()
        var documents: [Node] = []
        var afterEndMarker = true
        while true {
            _ = try skipSeparation()
            let directivesLine = line
            let sawDirectives = try directives(allowed: afterEndMarker)
            if atEnd {
                if sawDirectives { throw error("directives must be followed by a \"---\" document", line: directivesLine) }
                return documents
            }
            let explicit = atMarker("---")
            if sawDirectives, !explicit { throw error("directives must be followed by \"---\"") }
            if !explicit, atMarker("...") {
                pos += 3
                try expectLineEnd(after: "the document end marker \"...\"")
                afterEndMarker = true
                continue
            }
            if documents.count >= limit {
                throw error("several documents in one file are not supported: nothing may follow the first document")
            }
            if explicit { pos += 3 }
            let markerLine = explicit ? line : 0
            anchors = [:]
            documents.append(try blockNode(n: -1, context: .document))
            try skipToNextContent(after: "the document")
            afterEndMarker = false
            if atEnd { return documents }
            if atMarker("...") {
                pos += 3
                try expectLineEnd(after: "the document end marker \"...\"")
                afterEndMarker = true
                if documents.count >= limit {
                    _ = try skipSeparation()
                    if !atEnd {
                        throw error("several documents in one file are not supported: nothing may follow the first document")
                    }
                }
            } else if !atMarker("---") {
                if documents.last!.line == markerLine {
                    throw error("the document's value was given on the \"---\" line; nothing else may follow it")
                }
                throw unexpectedAfterDocument(documents.last!)
            }
        }
    }

    /// The message for content left after a document's root (a line less indented than the root, or a second root).
    func unexpectedAfterDocument(_ root: Node) -> SyntaxError {
        if root.items != nil {
            return error("expected another \"- \" list item: a document is a list or a mapping, not both")
        }
        if root.entries != nil {
            return error("unexpected indentation: this line is less indented than the first key of the document")
        }
        return error("unexpected content after the document's value")
    }
}
