import Testing

@testable import SimfraProtocols

private func parse(_ s: String) throws -> XMLElement { try XMLReader.parse(Array(s.utf8)) }

private func rejects(_ bytes: [UInt8]) -> Bool {
    do { _ = try XMLReader.parse(bytes); return false } catch { return true }
}

private func rejects(_ s: String) -> Bool { rejects(Array(s.utf8)) }

@Suite struct XMLReaderTests {
    @Test func readsADeleteDocumentWithNamespacesAndDeclaration() throws {
        let doc = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>
            """
        let root = try parse(doc)
        #expect(root.name == "Delete")
        #expect(root.attributes.isEmpty)
        #expect(root.children("Object").map { $0.child("Key")?.text } == ["a", "b"])
        #expect(root.children("Object")[1].child("VersionId")?.text == "v1")
        #expect(root.child("Quiet")?.text == "true")
    }

    @Test func stripsPrefixesFromElementNamesAndKeepsQualifiedAttributeNames() throws {
        let root = try parse("""
            <s3:AccessControlPolicy xmlns:s3="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
            <s3:Grantee xsi:type="CanonicalUser" other='single'><s3:ID>abc</s3:ID></s3:Grantee></s3:AccessControlPolicy>
            """)
        #expect(root.name == "AccessControlPolicy")
        let g = try #require(root.child("Grantee"))
        #expect(g.attributes == ["xsi:type": "CanonicalUser", "other": "single"])
        #expect(g.child("ID")?.text == "abc")
    }

    @Test func keepsWhitespaceOnlyTextExactly() throws {
        for key in ["   ", "\t", " lead", "trail ", "a  b", "\n"] {
            let root = try parse("<Key>\(key)</Key>")
            #expect(root.text == key)
        }
    }

    @Test func resolvesPredefinedEntitiesAndCharacterReferences() throws {
        let root = try parse("<K>&lt;&gt;&amp;&quot;&apos;&#13;&#xD;&#x1F600;&#233;</K>")
        #expect(root.text == "<>&\"'\r\r😀é")
        #expect(try parse("<K a=\"&amp;&#9;x\"/>").attributes["a"] == "&\tx")
    }

    @Test func normalisesRawLineEndsButNotReferences() throws {
        #expect(try parse("<K>a\r\nb\rc\nd&#13;</K>").text == "a\nb\nc\nd\r")
        #expect(try parse("<K><![CDATA[x\r\ny]]></K>").text == "x\ny")
        #expect(try parse("<K a=\"1\t2\n3\"/>").attributes["a"] == "1 2 3")
    }

    @Test func readsCDATACommentsAndProcessingInstructions() throws {
        let root = try parse("<!-- lead --><?pi data?><K>a<![CDATA[<not a tag> & ]]>b<!-- c -->c</K><!-- tail -->\n")
        #expect(root.text == "a<not a tag> & bc")
    }

    @Test func readsMultiByteTextAndBOM() throws {
        #expect(try parse("\u{FEFF}<K>ünïcødé/文件/😀</K>").text == "ünïcødé/文件/😀")
        #expect(try parse("<Ünï>x</Ünï>").name == "Ünï")
    }

    @Test func textOfAMixedElementIsItsDirectCharacterData() throws {
        let root = try parse("<A>\n  <B>x</B>\n</A>")
        #expect(root.text == "\n  \n")
        #expect(root.child("B")?.text == "x")
    }

    @Test func refusesInvalidUTF8Anywhere() {
        let cases: [[UInt8]] = [
            Array("<CreateBucketConfiguration><".utf8) + [0xFF] + Array("/></CreateBucketConfiguration>".utf8),
            Array("<K>".utf8) + [0xFF] + Array("</K>".utf8),
            Array("<K a=\"".utf8) + [0xC0, 0x80] + Array("\"/>".utf8),
            Array("<K>".utf8) + [0xED, 0xA0, 0x80] + Array("</K>".utf8),  // a surrogate
            Array("<K>".utf8) + [0xE2, 0x82] + Array("</K>".utf8),  // truncated
            Array("<K>x</K><!-- ".utf8) + [0xFE] + Array(" -->".utf8),
            Array("<".utf8) + [0xFF],
        ]
        for c in cases { #expect(rejects(c)) }
    }

    @Test func refusesMalformedStructure() {
        for s in [
            "", "   ", "text", "<A>", "<A></B>", "<A><B></A></B>", "<A></A><B/>", "<A/>trailing", "</A>",
            "<A x=1/>", "<A x=\"1\" x=\"2\"/>", "<A x=\"<\"/>", "<A x=\"1\"y=\"2\"/>", "<A>&bogus;</A>", "<A>&lt</A>",
            "<A>& </A>", "<A>&#0;</A>", "<A>&#1;</A>", "<A>&#xD800;</A>", "<A>&#x110000;</A>", "<A>&#;</A>",
            "<A>\u{01}</A>", "<A><![CDATA[x</A>", "<A><!-- x</A>", "<A><!-- a -- b --></A>", "<A", "<1A/>",
            "<A/><?xml version=\"1.0\"?>", "<:/>", "<a:/>", "<:a/>", "<a:b:c/>", "<a::b/>", "<a:1/>", "<A :x=\"1\"/>", "<![CDATA[x]]><A/>", "<A><!ELEMENT x ANY></A>",
        ] {
            #expect(rejects(s), "\(s.debugDescription)")
        }
    }

    @Test func refusesDoctypeAndEntityDeclarations() {
        #expect(rejects("<!DOCTYPE A [<!ENTITY x \"boom\">]><A>&x;</A>"))
        #expect(rejects("<!DOCTYPE A SYSTEM \"file:///etc/passwd\"><A/>"))
        #expect(rejects("<A>&xxe;</A>"))
    }

    @Test func refusesDeepNestingWithoutRecursing() {
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(rejects(deep))
        let atLimit = String(repeating: "<a>", count: XMLReader.maxDepth) + String(repeating: "</a>", count: XMLReader.maxDepth)
        #expect(!rejects(atLimit))
        let past = "<a>" + atLimit + "</a>"
        #expect(rejects(past))
        // Unclosed deep documents are refused the same way.
        #expect(rejects(String(repeating: "<a>", count: 40_000)))
    }

    @Test func parsesAThousandPartCompleteMultipartUploadQuickly() throws {
        var doc = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for n in 1...1000 { doc += "<Part><PartNumber>\(n)</PartNumber><ETag>\"0123456789abcdef0123456789abcdef\"</ETag></Part>" }
        doc += "</CompleteMultipartUpload>"
        let bytes = Array(doc.utf8)
        let root = try XMLReader.parse(bytes)
        let parts = root.children("Part")
        #expect(parts.count == 1000)
        #expect(parts[999].child("PartNumber")?.text == "1000")
        #expect(parts[0].child("ETag")?.text == "\"0123456789abcdef0123456789abcdef\"")
    }
}
