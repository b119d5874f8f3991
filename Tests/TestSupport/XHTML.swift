// XHTML: a parsed page of the status site (Foundation's XMLParser), with the text of elements found by id,
// class or element name — so tests read the figures a person reads, and a page that is not well-formed fails.

import Foundation
import FoundationXML

public final class XHTMLPage: NSObject, XMLParserDelegate {
    public struct Element {
        public let name: String
        public let attributes: [String: String]
        public var text: String
        public var children: [Int]
    }

    public private(set) var elements: [Element] = []
    private var open: [Int] = []
    public private(set) var error: String?

    public init(_ text: String) {
        super.init()
        // XMLParser does not know the HTML5 doctype's missing public id; it is skipped.
        let parser = XMLParser(data: Data(text.replacingOccurrences(of: "<!DOCTYPE html>", with: "").utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError.map { "\($0)" } ?? "not well-formed" }
    }

    public func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String])
    {
        elements.append(Element(name: name, attributes: attributes, text: "", children: []))
        if let parent = open.last { elements[parent].children.append(elements.count - 1) }
        open.append(elements.count - 1)
    }

    public func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { open.removeLast() }

    public func parser(_ parser: XMLParser, foundCharacters string: String) {
        for index in open { elements[index].text += string }
    }

    public func byID(_ id: String) -> Element? { elements.first { $0.attributes["id"] == id } }

    public func byClass(_ name: String) -> [Element] {
        elements.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(name)) }
    }

    public func children(of element: Element, named name: String) -> [Element] {
        element.children.map { elements[$0] }.filter { $0.name == name }
    }
}
