import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element. Text is kept exactly (no trimming: S3 keys may be all spaces).
package final class XMLElement: @unchecked Sendable {
    package let name: String
    package let attributes: [String: String]
    package var children: [XMLElement] = []
    package var text: String = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    package func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    package func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

/// Builds an `XMLElement` tree with FoundationXML's SAX parser (XMLCoder trims whitespace
/// and so corrupts keys; see STACK.md).
package enum XMLReader {
    package struct Failure: Error, Sendable { package var message: String }

    package static func parse(_ bytes: [UInt8]) throws(Failure) -> XMLElement {
        let delegate = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        guard parser.parse(), let root = delegate.root else {
            throw Failure(message: parser.parserError.map { "\($0.localizedDescription)" } ?? "The XML you provided was not well-formed")
        }
        return root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: XMLElement?
        var stack: [XMLElement] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            let e = XMLElement(name: elementName, attributes: attributeDict)
            if let parent = stack.last { parent.children.append(e) } else if root == nil { root = e }
            stack.append(e)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            _ = stack.popLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
        }
    }
}
