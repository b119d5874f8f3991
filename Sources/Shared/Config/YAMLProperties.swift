// YAMLProperties: node properties and directives — anchors and aliases (§6.9.2, §7.1; an alias stands for a copy
// of its node, counted against YAML.nodeLimit so that an alias bomb is refused), tags (§6.8.2, §6.9.1; the core
// schema's !!str, !!int, !!float, !!bool, !!null, !!map, !!seq are honoured, other tags leave the value as written),
// and the %YAML and %TAG directives (§6.8).

/// The anchor and tag written before a node.
struct NodeProperties {
    var anchor: String?
    /// The resolved tag ("tag:yaml.org,2002:str", "!local", "!" for the non-specific tag).
    var tag: String?
    var present: Bool { anchor != nil || tag != nil }

    /// These properties and `other` together (written on separate lines before one node).
    func merged(_ other: NodeProperties, parser: YAMLParser) throws -> NodeProperties {
        guard present else { return other }
        guard other.present else { return self }
        if anchor != nil, other.anchor != nil { throw parser.error("a node can have only one anchor") }
        if tag != nil, other.tag != nil { throw parser.error("a node can have only one tag") }
        return NodeProperties(anchor: anchor ?? other.anchor, tag: tag ?? other.tag)
    }
}

extension YAMLParser {
    /// The properties at `pos` ("&anchor", "!tag", in either order, separated by spaces on one line).
    mutating func parseProperties() throws -> NodeProperties {
        var properties = NodeProperties()
        while cur == 38 || cur == 33 {
            if cur == 38 {
                if properties.anchor != nil { throw error("a node can have only one anchor") }
                pos += 1
                let start = pos
                while !isWhiteOrEnd(cur), !isFlowIndicator(cur) { pos += 1 }
                if pos == start { throw error("expected an anchor name after \"&\"") }
                properties.anchor = String(decoding: b[start..<pos], as: UTF8.self)
            } else {
                if properties.tag != nil { throw error("a node can have only one tag") }
                properties.tag = try tag()
            }
            let end = state
            while isBlank(cur) { pos += 1 }
            if cur != 38, cur != 33 {
                state = end
                break
            }
            if pos == end.pos { throw error("separate the anchor and the tag with a space") }
        }
        if properties.present, !isWhiteOrEnd(cur), !isFlowIndicator(cur) {
            throw error("a space must separate an anchor or tag from the value")
        }
        return properties
    }

    /// A tag at `pos` ("!"), resolved through the document's %TAG handles.
    private mutating func tag() throws -> String {
        let start = pos
        pos += 1
        if cur == 60 {  // !<verbatim>
            pos += 1
            let from = pos
            while cur != 62 {
                if isWhiteOrEnd(cur) { throw error("unterminated verbatim tag !<…>", at: start) }
                pos += 1
            }
            let text = String(decoding: b[from..<pos], as: UTF8.self)
            pos += 1
            if text.isEmpty || text == "!" { throw error("a verbatim tag cannot be empty or \"!\"", at: start) }
            return text
        }
        while !isWhiteOrEnd(cur), !isFlowIndicator(cur) { pos += 1 }
        let text = String(decoding: b[start..<pos], as: UTF8.self)
        if text == "!" { return "!" }
        // "!!suffix", "!name!suffix" or "!suffix".
        let body = text.dropFirst()
        if let bang = body.firstIndex(of: "!") {
            let handle = String(text[..<body.index(after: bang)])
            let suffix = String(body[body.index(after: bang)...])
            guard let prefix = tagHandles[handle] ?? (handle == "!!" ? "tag:yaml.org,2002:" : nil) else {
                throw error("the tag handle \(handle) is not declared by a %TAG directive", at: start)
            }
            if suffix.isEmpty { throw error("a tag needs a name after its handle \(handle)", at: start) }
            return prefix + percentDecoded(suffix)
        }
        return (tagHandles["!"] ?? "!") + percentDecoded(String(body))
    }

    private func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 37, i + 2 < bytes.count, let v = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `node` with its tag applied and its anchor recorded (standing for the nodes made since `startCount`).
    mutating func finish(_ node: Node, _ properties: NodeProperties, since startCount: Int, at offset: Int) throws -> Node {
        guard properties.present else { return node }
        var node = node
        if let tag = properties.tag { node = try applying(tag, to: node, at: offset) }
        if let anchor = properties.anchor { anchors[anchor] = (node, max(1, nodeCount - startCount)) }
        return node
    }

    /// The node a tag makes of `node`: core-schema tags are checked and honoured, other tags keep it as written.
    private func applying(_ tag: String, to node: Node, at offset: Int) throws -> Node {
        let core = "tag:yaml.org,2002:"
        let name = tag == "!" ? "!" : tag.hasPrefix(core) ? String(tag.dropFirst(core.count)) : ""
        func scalar(_ style: ScalarStyle) throws -> Node {
            guard let text = node.scalar else { throw error("the tag \(tag) needs a scalar, not \(node.kindDescription)", at: offset) }
            return Node(.scalar(text, style), line: node.line)
        }
        switch name {
        case "!", "str":
            return node.scalar == nil ? node : try scalar(.quoted)
        case "int", "float", "bool", "null":
            let plain = try scalar(.plain)
            let fits: Bool
            switch (name, plain.core) {
            case ("int", .integer?), ("float", .float?), ("float", .integer?), ("bool", .bool?), ("null", .null?): fits = true
            default: fits = false
            }
            if !fits { throw error("the value \(node.kindDescription) does not fit its tag !!\(name)", at: offset) }
            return plain
        case "map":
            if node.entries == nil, !(node.scalar == "" && node.value.isPlainEmpty) {
                throw error("the tag !!map needs a mapping, not \(node.kindDescription)", at: offset)
            }
            return node.entries == nil ? Node(.mapping([]), line: node.line) : node
        case "seq":
            if node.items == nil, !(node.scalar == "" && node.value.isPlainEmpty) {
                throw error("the tag !!seq needs a list, not \(node.kindDescription)", at: offset)
            }
            return node.items == nil ? Node(.sequence([]), line: node.line) : node
        default:
            return node
        }
    }

    /// An alias at `pos` ("*name"): a copy of the anchored node, refused when the document would pass its limit.
    mutating func alias() throws -> Node {
        let start = pos
        let startLine = line
        pos += 1
        while !isWhiteOrEnd(cur), !isFlowIndicator(cur) { pos += 1 }
        if pos == start + 1 { throw error("expected an anchor name after \"*\"", at: start) }
        let name = String(decoding: b[(start + 1)..<pos], as: UTF8.self)
        guard let anchored = anchors[name] else {
            throw error("the alias *\(name) names no anchor (&\(name)) before it in this document", at: start)
        }
        nodeCount += anchored.size
        if nodeCount > nodeLimit {
            throw error(
                "the alias *\(name) expands the document past \(nodeLimit) nodes (an alias bomb?); refused, not expanded",
                at: start)
        }
        return Node(anchored.node.value, line: startLine)
    }

    /// The directives before a document ("%YAML 1.2", "%TAG !e! prefix", others ignored); whether there were any.
    mutating func directives(allowed: Bool) throws -> Bool {
        tagHandles = [:]
        var sawYAML = false
        var any = false
        while cur == 37, pos == lineStart {
            if !allowed { throw error("a directive after a document needs a \"...\" line before it") }
            any = true
            pos += 1
            let nameStart = pos
            while !isWhiteOrEnd(cur) { pos += 1 }
            let name = String(decoding: b[nameStart..<pos], as: UTF8.self)
            var parameters: [String] = []
            while true {
                while isBlank(cur) { pos += 1 }
                if isBreakOrEnd(cur) || cur == 35 { break }
                let from = pos
                while !isWhiteOrEnd(cur) { pos += 1 }
                parameters.append(String(decoding: b[from..<pos], as: UTF8.self))
            }
            switch name {
            case "YAML":
                if sawYAML { throw error("the %YAML directive is given twice", line: line) }
                sawYAML = true
                guard parameters.count == 1, let version = parameters.first, version.hasPrefix("1."),
                    version.dropFirst(2).allSatisfy(\.isNumber), version.count > 2
                else { throw error("expected %YAML 1.x, found %YAML \(parameters.joined(separator: " "))", line: line) }
            case "TAG":
                guard parameters.count == 2, parameters[0].hasPrefix("!"), parameters[0].hasSuffix("!") else {
                    throw error("expected %TAG !handle! prefix", line: line)
                }
                if tagHandles[parameters[0]] != nil { throw error("the tag handle \(parameters[0]) is declared twice", line: line) }
                tagHandles[parameters[0]] = parameters[1]
            default:
                break  // Reserved directives are ignored (§6.8).
            }
            try expectLineEnd(after: "the directive")
            try skipSeparation()
        }
        return any
    }
}

extension Node.Value {
    /// Whether this is the empty plain scalar (a node written as nothing).
    var isPlainEmpty: Bool {
        if case .scalar("", .plain) = self { return true }
        return false
    }
}
