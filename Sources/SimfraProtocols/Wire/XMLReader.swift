/// A parsed XML element. Text is kept exactly (no trimming: S3 keys may be all spaces).
package final class XMLElement: @unchecked Sendable {
    /// The local name: a namespace prefix (`s3:Key`) is stripped.
    package let name: String
    /// Attributes by their name as written (`xsi:type`), `xmlns` declarations left out.
    package let attributes: [String: String]
    package var children: [XMLElement] = []
    /// All character data directly inside this element, in document order.
    package var text: String = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    package func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    package func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
}

/// A small, strict, non-recursive XML 1.0 reader for the request documents AWS's REST-XML
/// services take (S3's CreateBucketConfiguration, Delete, Tagging, CompleteMultipartUpload…).
///
/// Why our own: FoundationXML's `XMLParser` (libxml2 underneath) trapped the whole process on
/// a non-UTF-8 byte in an element name and recursed without bound on deep nesting; it also
/// pulled libxml2 and FoundationXML (~6 MB of idle RSS) into the process.
///
/// What it accepts: the `<?xml …?>` declaration, processing instructions, comments, CDATA,
/// the five predefined entities and numeric character references, attributes in either
/// quote, namespace prefixes (stripped from element names, as `XMLParser` did with
/// `shouldProcessNamespaces`). What it refuses, as a `Failure`: DOCTYPE and any DTD, other
/// entity references (so no external or expanding entities), invalid UTF-8 anywhere,
/// characters XML 1.0 forbids, unclosed or mismatched tags, text outside the root, and
/// nesting deeper than `maxDepth`. Line ends are normalised as XML requires (`\r\n` and
/// `\r` read as `\n`; `&#13;` stays a CR), and text is otherwise kept byte for byte.
package enum XMLReader {
    package struct Failure: Error, Sendable {
        package var message: String
        package var offset: Int
    }

    /// Far above any real request document (S3's deepest, a lifecycle rule's filter, is
    /// about 6 levels), far below what the stack or a recursive tree release could mind.
    package static let maxDepth = 100

    package static func parse(_ bytes: [UInt8]) throws(Failure) -> XMLElement {
        try bytes.withUnsafeBufferPointer { (buf) throws(Failure) -> XMLElement in
            var p = Scanner(buf)
            return try p.document()
        }
    }
}

private struct Scanner {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    /// One open element: its node, where its qualified name sits (for the end-tag match),
    /// and the character data gathered so far.
    struct Frame {
        var element: XMLElement
        var nameStart: Int
        var nameEnd: Int
    }
    var stack: [Frame] = []
    /// Text buffers by depth, kept across elements so their capacity is reused.
    var texts: [[UInt8]] = []
    var root: XMLElement?

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    func fail(_ m: String) -> XMLReader.Failure { XMLReader.Failure(message: m, offset: i) }

    // MARK: document

    mutating func document() throws(XMLReader.Failure) -> XMLElement {
        try validateUTF8()
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { i = 3 }
        if startsWith("<?xml"), i + 5 < b.count, isSpace(b[i + 5]) { try skipPI(declaration: true) }
        while i < b.count {
            if b[i] == UInt8(ascii: "<") {
                try markup()
            } else if stack.isEmpty {
                guard isSpace(b[i]) else { throw fail(root == nil ? "Content is not allowed in prolog" : "Content is not allowed after the root element") }
                i += 1
            } else {
                try characterData()
            }
        }
        guard stack.isEmpty else { throw fail("Element <\(stack[stack.count - 1].element.name)> is not closed") }
        guard let root else { throw fail("The document has no root element") }
        return root
    }

    mutating func markup() throws(XMLReader.Failure) {
        guard i + 1 < b.count else { throw fail("Unexpected end of document") }
        switch b[i + 1] {
        case UInt8(ascii: "/"): try endTag()
        case UInt8(ascii: "?"):
            if startsWith("<?xml"), i + 5 < b.count, isSpace(b[i + 5]) || b[i + 5] == UInt8(ascii: "?") {
                throw fail("The XML declaration is allowed only at the start of the document")
            }
            try skipPI(declaration: false)
        case UInt8(ascii: "!"):
            if startsWith("<!--") {
                try skipComment()
            } else if startsWith("<![CDATA[") {
                guard !stack.isEmpty else { throw fail("CDATA is only allowed inside an element") }
                try cdata()
            } else if startsWith("<!DOCTYPE") {
                throw fail("DOCTYPE is not allowed")
            } else {
                throw fail("Markup declarations are not allowed")
            }
        default: try startTag()
        }
    }

    // MARK: elements

    mutating func startTag() throws(XMLReader.Failure) {
        guard stack.isEmpty ? root == nil : true else { throw fail("The document has more than one root element") }
        i += 1
        let (ns, ne) = try name()
        var attributes: [String: String] = [:]
        while true {
            let hadSpace = skipSpace()
            guard i < b.count else { throw fail("Unexpected end of document in a start tag") }
            let c = b[i]
            if c == UInt8(ascii: ">") || c == UInt8(ascii: "/") { break }
            guard hadSpace else { throw fail("Attributes must be separated by white space") }
            let (an, ae) = try name()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw fail("Expected '=' after an attribute name") }
            i += 1
            skipSpace()
            let value = try attributeValue()
            let key = string(an, ae)
            if key == "xmlns" || key.hasPrefix("xmlns:") { continue }
            guard attributes.updateValue(value, forKey: key) == nil else { throw fail("Attribute \(key) is given twice") }
        }
        let selfClosing = b[i] == UInt8(ascii: "/")
        if selfClosing {
            i += 1
            guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("Expected '>' after '/'") }
        }
        i += 1
        let e = XMLElement(name: localName(ns, ne), attributes: attributes)
        if let parent = stack.last { parent.element.children.append(e) } else { root = e }
        if selfClosing { return }
        guard stack.count < XMLReader.maxDepth else { throw fail("The document is nested more than \(XMLReader.maxDepth) levels deep") }
        stack.append(Frame(element: e, nameStart: ns, nameEnd: ne))
        if texts.count < stack.count { texts.append([]) } else { texts[stack.count - 1].removeAll(keepingCapacity: true) }
    }

    mutating func endTag() throws(XMLReader.Failure) {
        i += 2
        let (ns, ne) = try name()
        skipSpace()
        guard i < b.count, b[i] == UInt8(ascii: ">") else { throw fail("Expected '>' to end an end tag") }
        guard let top = stack.last else { throw fail("End tag without a start tag") }
        guard UnsafeBufferPointer(rebasing: b[ns..<ne]).elementsEqual(UnsafeBufferPointer(rebasing: b[top.nameStart..<top.nameEnd]))
        else { throw fail("End tag does not match the start tag <\(string(top.nameStart, top.nameEnd))>") }
        i += 1
        let depth = stack.count - 1
        if !texts[depth].isEmpty {
            // Valid UTF-8 throughout (checked up front), so decoding is exact.
            top.element.text = String(decoding: texts[depth], as: UTF8.self)
        }
        stack.removeLast()
    }

    /// A qualified name (`local` or `prefix:local`, as Namespaces in XML define it). Bytes
    /// ≥ 0x80 are accepted as name characters (UTF-8 was validated).
    mutating func name() throws(XMLReader.Failure) -> (Int, Int) {
        let start = i
        guard i < b.count, isNameStart(b[i]) else { throw fail("Expected a name") }
        var colon = -1
        while i < b.count, isNameChar(b[i]) {
            if b[i] == UInt8(ascii: ":") {
                // One colon, with a name on both sides.
                guard colon < 0, i > start, i + 1 < b.count, isNameStart(b[i + 1]), b[i + 1] != UInt8(ascii: ":") else {
                    throw fail("'\(string(start, min(i + 1, b.count)))' is not a valid qualified name")
                }
                colon = i
            }
            i += 1
        }
        return (start, i)
    }

    func localName(_ s: Int, _ e: Int) -> String {
        var k = s
        while k < e, b[k] != UInt8(ascii: ":") { k += 1 }
        return k < e ? string(k + 1, e) : string(s, e)
    }

    // MARK: character data

    /// Text up to the next `<`, with references resolved and line ends normalised.
    mutating func characterData() throws(XMLReader.Failure) {
        let depth = stack.count - 1
        // Moved out and back (no copy) so the helpers below may mutate `self` meanwhile.
        var out = texts[depth]
        texts[depth] = []
        defer { texts[depth] = out }
        var runStart = i
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "<") { break }
            if c == UInt8(ascii: "&") || c == 0x0D {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i]))
                if c == 0x0D { appendNewline(&out) } else { try reference(into: &out) }
                runStart = i
                continue
            }
            if c < 0x20, c != 0x09, c != 0x0A { throw fail("Character 0x\(String(c, radix: 16)) is not allowed in XML") }
            i += 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i]))
    }

    /// `\r\n` and a lone `\r` read as one `\n` (XML 1.0 §2.11).
    mutating func appendNewline(_ out: inout [UInt8]) {
        i += 1
        if i < b.count, b[i] == 0x0A { i += 1 }
        out.append(0x0A)
    }

    mutating func cdata() throws(XMLReader.Failure) {
        i += 9
        let start = i
        while i + 2 < b.count {
            if b[i] == UInt8(ascii: "]"), b[i + 1] == UInt8(ascii: "]"), b[i + 2] == UInt8(ascii: ">") {
                try appendChecked(start, i, to: stack.count - 1)
                i += 3
                return
            }
            i += 1
        }
        throw fail("Unterminated CDATA section")
    }

    /// Appends raw character data (CDATA), checking characters and normalising line ends.
    mutating func appendChecked(_ s: Int, _ e: Int, to depth: Int) throws(XMLReader.Failure) {
        var k = s
        while k < e {
            let c = b[k]
            if c == 0x0D {
                texts[depth].append(0x0A)
                k += (k + 1 < e && b[k + 1] == 0x0A) ? 2 : 1
                continue
            }
            if c < 0x20, c != 0x09, c != 0x0A { throw fail("Character 0x\(String(c, radix: 16)) is not allowed in XML") }
            texts[depth].append(c)
            k += 1
        }
    }

    mutating func attributeValue() throws(XMLReader.Failure) -> String {
        guard i < b.count, b[i] == UInt8(ascii: "\"") || b[i] == UInt8(ascii: "'") else {
            throw fail("An attribute value must be quoted")
        }
        let quote = b[i]
        i += 1
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if c == quote { i += 1; return String(decoding: out, as: UTF8.self) }
            switch c {
            case UInt8(ascii: "<"): throw fail("'<' is not allowed in an attribute value")
            case UInt8(ascii: "&"): try reference(into: &out)
            // Attribute-value normalisation (XML 1.0 §3.3.3): white space reads as a space.
            case 0x0D:
                i += 1
                if i < b.count, b[i] == 0x0A { i += 1 }
                out.append(0x20)
            case 0x09, 0x0A: out.append(0x20); i += 1
            default:
                if c < 0x20 { throw fail("Character 0x\(String(c, radix: 16)) is not allowed in XML") }
                out.append(c)
                i += 1
            }
        }
        throw fail("Unterminated attribute value")
    }

    /// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xH;`; every other entity is refused.
    mutating func reference(into out: inout [UInt8]) throws(XMLReader.Failure) {
        i += 1
        let start = i
        while i < b.count, b[i] != UInt8(ascii: ";") {
            guard i - start < 12 else { throw fail("Unterminated entity reference") }
            i += 1
        }
        guard i < b.count else { throw fail("Unterminated entity reference") }
        let end = i
        i += 1
        let n = end - start
        guard n > 0 else { throw fail("Empty entity reference") }
        if b[start] == UInt8(ascii: "#") {
            var v: UInt32 = 0
            var k = start + 1
            let hex = k < end && b[k] == UInt8(ascii: "x")
            if hex { k += 1 }
            guard k < end else { throw fail("Invalid character reference") }
            while k < end {
                let c = b[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x61...0x66 where hex: d = UInt32(c - 0x61 + 10)
                case 0x41...0x46 where hex: d = UInt32(c - 0x41 + 10)
                default: throw fail("Invalid character reference")
                }
                v = v * (hex ? 16 : 10) + d
                guard v <= 0x10FFFF else { throw fail("Invalid character reference") }
                k += 1
            }
            guard isXMLChar(v), let u = Unicode.Scalar(v) else { throw fail("Character reference to a character XML does not allow") }
            UTF8.encode(u) { out.append($0) }
            return
        }
        let entity = UnsafeBufferPointer(rebasing: b[start..<end])
        if entity.elementsEqual("lt".utf8) { out.append(UInt8(ascii: "<")) }
        else if entity.elementsEqual("gt".utf8) { out.append(UInt8(ascii: ">")) }
        else if entity.elementsEqual("amp".utf8) { out.append(UInt8(ascii: "&")) }
        else if entity.elementsEqual("quot".utf8) { out.append(UInt8(ascii: "\"")) }
        else if entity.elementsEqual("apos".utf8) { out.append(UInt8(ascii: "'")) }
        else { throw fail("Entity '\(string(start, end))' is not defined") }
    }

    // MARK: skipped markup

    mutating func skipPI(declaration: Bool) throws(XMLReader.Failure) {
        i += 2
        let (ns, ne) = try name()
        if !declaration, ne - ns == 3, (b[ns] | 0x20) == UInt8(ascii: "x"), (b[ns + 1] | 0x20) == UInt8(ascii: "m"), (b[ns + 2] | 0x20) == UInt8(ascii: "l") {
            throw fail("Processing instruction target 'xml' is reserved")
        }
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "?"), b[i + 1] == UInt8(ascii: ">") { i += 2; return }
            if b[i] < 0x20, !isSpace(b[i]) { throw fail("Character 0x\(String(b[i], radix: 16)) is not allowed in XML") }
            i += 1
        }
        throw fail("Unterminated processing instruction")
    }

    mutating func skipComment() throws(XMLReader.Failure) {
        i += 4
        while i + 2 < b.count {
            if b[i] == UInt8(ascii: "-"), b[i + 1] == UInt8(ascii: "-") {
                guard b[i + 2] == UInt8(ascii: ">") else { throw fail("'--' is not allowed in a comment") }
                i += 3
                return
            }
            if b[i] < 0x20, !isSpace(b[i]) { throw fail("Character 0x\(String(b[i], radix: 16)) is not allowed in XML") }
            i += 1
        }
        throw fail("Unterminated comment")
    }

    // MARK: bytes

    func startsWith(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        return UnsafeBufferPointer(rebasing: b[i..<(i + n)]).elementsEqual(UnsafeBufferPointer(start: s.utf8Start, count: n))
    }

    @discardableResult
    mutating func skipSpace() -> Bool {
        let s = i
        while i < b.count, isSpace(b[i]) { i += 1 }
        return i > s
    }

    func string(_ s: Int, _ e: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[s..<e]), as: UTF8.self) }

    func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D }

    func isNameStart(_ c: UInt8) -> Bool {
        (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || c == UInt8(ascii: "_") || c == UInt8(ascii: ":") || c >= 0x80
    }

    func isNameChar(_ c: UInt8) -> Bool {
        isNameStart(c) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    func isXMLChar(_ v: UInt32) -> Bool {
        v == 0x09 || v == 0x0A || v == 0x0D || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)
    }

    /// The whole document must be UTF-8 (the only encoding we read): shortest forms only,
    /// no surrogates, nothing past U+10FFFF, and not U+FFFE/U+FFFF (not XML characters).
    mutating func validateUTF8() throws(XMLReader.Failure) {
        var k = 0
        let n = b.count
        while k < n {
            // ASCII runs eight bytes at a time.
            while k + 8 <= n, UnsafeRawPointer(b.baseAddress! + k).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { k += 8 }
            guard k < n else { break }
            let c = b[k]
            if c < 0x80 { k += 1; continue }
            let len: Int
            var v: UInt32
            switch c {
            case 0xC2...0xDF: len = 2; v = UInt32(c & 0x1F)
            case 0xE0...0xEF: len = 3; v = UInt32(c & 0x0F)
            case 0xF0...0xF4: len = 4; v = UInt32(c & 0x07)
            default: i = k; throw fail("Invalid UTF-8 byte 0x\(String(c, radix: 16))")
            }
            guard k + len <= n else { i = k; throw fail("Truncated UTF-8 sequence") }
            for j in 1..<len {
                let cc = b[k + j]
                guard cc & 0xC0 == 0x80 else { i = k; throw fail("Invalid UTF-8 sequence") }
                v = v << 6 | UInt32(cc & 0x3F)
            }
            let minimum: UInt32 = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000
            guard v >= minimum, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v), v != 0xFFFE, v != 0xFFFF else {
                i = k
                throw fail("Invalid UTF-8 sequence")
            }
            k += len
        }
    }
}
