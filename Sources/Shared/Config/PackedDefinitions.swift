// PackedDefinitions: interface definitions held as a prober holds them — every text in one byte array, the
// rest in a small fixed-size entry — and rebuilt one at a time when a probe starts. 100 000 definitions as
// InterfaceDefinition values took 25 MB (a 120-byte value each, and its id and URL as texts of their own);
// packed they take about 9 MB.

/// Definitions in one text arena; `self[i]` rebuilds the i-th.
public struct PackedDefinitions: Sendable {
    private struct Entry {
        /// Where the id, name, method and URL are in `text`, one after the other.
        let start: Int
        let idCount: UInt32
        let nameCount: UInt32
        let methodCount: UInt32
        let urlCount: UInt32
        let service: UInt32
        let sourceFile: UInt32
        let sourceLine: UInt32
        let auth: Bool
        let enabled: Bool
        let details: InterfaceDefinition.DetailsBox?
    }

    private var text: [UInt8] = []
    private var entries: [Entry] = []
    /// Texts that repeat across definitions (services, source files), each held once, and where each is.
    private var services: [String] = []
    private var sourceFiles: [String] = []
    private var numbers: [String: UInt32] = [:]
    private var fileNumbers: [String: UInt32] = [:]

    public init() {}

    public init(_ definitions: [InterfaceDefinition]) {
        for definition in definitions { append(definition) }
        shrink()
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    public mutating func append(_ d: InterfaceDefinition) {
        let start = text.count
        text.append(contentsOf: d.id.utf8)
        text.append(contentsOf: d.name.utf8)
        text.append(contentsOf: d.method.utf8)
        text.append(contentsOf: d.url.utf8)
        entries.append(
            Entry(
                start: start, idCount: UInt32(d.id.utf8.count), nameCount: UInt32(d.name.utf8.count),
                methodCount: UInt32(d.method.utf8.count), urlCount: UInt32(d.url.utf8.count),
                service: Self.number(of: d.service, in: &services, &numbers),
                sourceFile: Self.number(of: d.sourceFile, in: &sourceFiles, &fileNumbers),
                sourceLine: UInt32(clamping: d.sourceLine), auth: d.auth, enabled: d.enabled, details: d.details))
    }

    /// Drops the spare capacity the arrays grew by doubling (up to half of them).
    public mutating func shrink() {
        text = text.withUnsafeBufferPointer { Array($0) }
        entries = entries.withUnsafeBufferPointer { Array($0) }
        numbers = [:]
        fileNumbers = [:]
    }

    /// `value`'s place in `list`, added if new (a pool of 100 000 files has 100 000 source files: looked up, not searched).
    private static func number(of value: String, in list: inout [String], _ numbers: inout [String: UInt32]) -> UInt32 {
        if let last = list.last, last == value { return UInt32(list.count - 1) }
        if let known = numbers[value] { return known }
        list.append(value)
        numbers[value] = UInt32(list.count - 1)
        return UInt32(list.count - 1)
    }

    private func string(_ start: Int, _ count: UInt32) -> String {
        text.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<start + Int(count)]), as: UTF8.self) }
    }

    /// The id of the i-th definition (without rebuilding the rest).
    public func id(at i: Int) -> String {
        string(entries[i].start, entries[i].idCount)
    }

    public subscript(i: Int) -> InterfaceDefinition {
        let e = entries[i]
        let name = e.start + Int(e.idCount)
        let method = name + Int(e.nameCount)
        let url = method + Int(e.methodCount)
        return InterfaceDefinition(
            id: string(e.start, e.idCount), service: services[Int(e.service)], name: string(name, e.nameCount),
            method: string(method, e.methodCount), url: string(url, e.urlCount), auth: e.auth, enabled: e.enabled,
            sourceFile: sourceFiles[Int(e.sourceFile)], sourceLine: Int(e.sourceLine), detailsBox: e.details)
    }
}
