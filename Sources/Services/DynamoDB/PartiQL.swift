import Foundation
import SimfraCore

/// PartiQL basics (ExecuteStatement, BatchExecuteStatement): SELECT, INSERT, UPDATE and DELETE
/// in their simple forms. The statement is translated into DynamoDB's own expression language
/// (literals and parameters become `:pN` values, identifiers `#nN` names) and then runs through
/// the same parser and evaluator as every other operation.
struct PartiQLTranslator {
    let src: [UInt8]
    var pos = 0
    var params: [AV]
    var nextParam = 0
    var names: [String: String] = [:]
    var values: [String: AV] = [:]

    init(_ text: String, params: [AV]) {
        src = Array(text.utf8)
        self.params = params
    }

    static func error(_ m: String) -> AWSError { DDBError.validation(m) }

    func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    func isIdent(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
    }

    mutating func skipSpace() { while pos < src.count && isSpace(src[pos]) { pos += 1 } }
    var atEnd: Bool { mutating get { skipSpace(); return pos >= src.count } }

    mutating func peekWord() -> String {
        skipSpace()
        var i = pos
        while i < src.count && isIdent(src[i]) { i += 1 }
        return String(decoding: src[pos..<i], as: UTF8.self)
    }

    mutating func word() -> String {
        let w = peekWord()
        pos += w.utf8.count
        return w
    }

    mutating func expectWord(_ w: String) throws {
        guard word().uppercased() == w else { throw Self.error("Statement wasn't well formed, can't be processed: Expected \(w)") }
    }

    mutating func expectChar(_ c: Character) throws {
        skipSpace()
        guard pos < src.count, src[pos] == c.asciiValue! else {
            throw Self.error("Statement wasn't well formed, can't be processed: Expected \(c)")
        }
        pos += 1
    }

    mutating func peekChar() -> UInt8? {
        skipSpace()
        return pos < src.count ? src[pos] : nil
    }

    /// A quoted ("x") or bare identifier.
    mutating func identifier() throws -> String {
        skipSpace()
        if pos < src.count && src[pos] == UInt8(ascii: "\"") {
            pos += 1
            let start = pos
            while pos < src.count && src[pos] != UInt8(ascii: "\"") { pos += 1 }
            guard pos < src.count else { throw Self.error("Statement wasn't well formed, can't be processed: unterminated identifier") }
            defer { pos += 1 }
            return String(decoding: src[start..<pos], as: UTF8.self)
        }
        let w = word()
        if w.isEmpty { throw Self.error("Statement wasn't well formed, can't be processed: Expected identifier") }
        return w
    }

    /// A literal value, a parameter, or a collection of them. `wraps` counts the maps and
    /// lists around it: DynamoDB's nesting limit applies, and bounds the recursion.
    mutating func literal(wraps: Int = 0) throws -> AV {
        skipSpace()
        guard pos < src.count else { throw Self.error("Statement wasn't well formed, can't be processed: Expected value") }
        let c = src[pos]
        if c == UInt8(ascii: "?") {
            pos += 1
            guard nextParam < params.count else {
                throw Self.error("Number of parameters in request and statement don't match.")
            }
            nextParam += 1
            return params[nextParam - 1]
        }
        if c == UInt8(ascii: "'") {
            pos += 1
            var bytes: [UInt8] = []
            while true {
                guard pos < src.count else { throw Self.error("Statement wasn't well formed, can't be processed: unterminated string") }
                if src[pos] == UInt8(ascii: "'") {
                    if pos + 1 < src.count && src[pos + 1] == UInt8(ascii: "'") {
                        bytes.append(src[pos]); pos += 2; continue
                    }
                    pos += 1
                    break
                }
                bytes.append(src[pos])
                pos += 1
            }
            return .s(String(decoding: bytes, as: UTF8.self))
        }
        if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || (c >= 0x30 && c <= 0x39) {
            let start = pos
            pos += 1
            while pos < src.count, isIdent(src[pos]) || src[pos] == UInt8(ascii: ".") || ((src[pos] == UInt8(ascii: "-") || src[pos] == UInt8(ascii: "+")) && (src[pos - 1] | 0x20) == UInt8(ascii: "e")) {
                pos += 1
            }
            return .n(try DDBNumber.validated(String(decoding: src[start..<pos], as: UTF8.self)))
        }
        if c == UInt8(ascii: "{") {
            guard wraps < AV.maxNesting else { throw AV.nestingTooDeep() }
            pos += 1
            var m: Item = [:]
            if peekChar() == UInt8(ascii: "}") { pos += 1; return .m(m) }
            while true {
                guard case .s(let k) = try literal(wraps: wraps + 1) else { throw Self.error("Statement wasn't well formed, can't be processed: map keys must be strings") }
                try expectChar(":")
                m[k] = try literal(wraps: wraps + 1)
                if peekChar() == UInt8(ascii: ",") { pos += 1; continue }
                try expectChar("}")
                return .m(m)
            }
        }
        if c == UInt8(ascii: "[") {
            guard wraps < AV.maxNesting else { throw AV.nestingTooDeep() }
            pos += 1
            var l: [AV] = []
            if peekChar() == UInt8(ascii: "]") { pos += 1; return .l(l) }
            while true {
                l.append(try literal(wraps: wraps + 1))
                if peekChar() == UInt8(ascii: ",") { pos += 1; continue }
                try expectChar("]")
                return .l(l)
            }
        }
        if c == UInt8(ascii: "<"), pos + 1 < src.count, src[pos + 1] == UInt8(ascii: "<") {
            guard wraps < AV.maxNesting else { throw AV.nestingTooDeep() }
            pos += 2
            var l: [AV] = []
            while true {
                l.append(try literal(wraps: wraps + 1))
                if peekChar() == UInt8(ascii: ",") { pos += 1; continue }
                skipSpace()
                guard pos + 1 < src.count, src[pos] == UInt8(ascii: ">"), src[pos + 1] == UInt8(ascii: ">") else {
                    throw Self.error("Statement wasn't well formed, can't be processed: Expected >>")
                }
                pos += 2
                break
            }
            if l.allSatisfy({ $0.typeName == "S" }) { return .ss(l.map { if case .s(let x) = $0 { x } else { "" } }) }
            if l.allSatisfy({ $0.typeName == "N" }) { return .ns(l.map { if case .n(let x) = $0 { x } else { .zero } }) }
            if l.allSatisfy({ $0.typeName == "B" }) { return .bs(l.map { if case .b(let x) = $0 { x } else { [] } }) }
            throw Self.error("Statement wasn't well formed, can't be processed: mixed set")
        }
        let w = word().lowercased()
        switch w {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "null": return .null
        default: throw Self.error("Statement wasn't well formed, can't be processed: unexpected \(w)")
        }
    }

    mutating func valueRef(_ v: AV) -> String {
        let k = ":p\(values.count)"
        values[k] = v
        return k
    }

    mutating func nameRef(_ n: String) -> String {
        if let e = names.first(where: { $0.value == n }) { return e.key }
        let k = "#n\(names.count)"
        names[k] = n
        return k
    }

    static let keywords: Set<String> = ["AND", "OR", "NOT", "BETWEEN", "IN", "IS", "MISSING", "NULL"]
    static let functions: Set<String> = ["begins_with", "contains", "attribute_exists", "attribute_not_exists", "attribute_type", "size", "if_not_exists", "list_append"]

    /// Translates the rest of the statement up to `stop` (a keyword) into DynamoDB
    /// expression text.
    mutating func translate(until stop: Set<String> = []) throws -> String {
        var out = ""
        var lastWasName = false
        while true {
            skipSpace()
            guard pos < src.count else { return out }
            let c = src[pos]
            let w = peekWord()
            if !w.isEmpty && stop.contains(w.uppercased()) { return out }
            if c == UInt8(ascii: "\"") {
                out += " " + nameRef(try identifier())
                lastWasName = true
            } else if !w.isEmpty && !(c >= 0x30 && c <= 0x39) {
                let u = w.uppercased()
                if u == "IS" {
                    pos += w.utf8.count
                    var not = false
                    if peekWord().uppercased() == "NOT" { _ = word(); not = true }
                    let what = word().uppercased()
                    // Rewrite "<path> IS [NOT] MISSING" as a function call on the path just emitted.
                    guard what == "MISSING" || what == "NULL", let r = out.range(of: " ", options: .backwards) else {
                        throw Self.error("Statement wasn't well formed, can't be processed: IS")
                    }
                    let path = String(out[r.upperBound...])
                    out = String(out[..<r.lowerBound])
                    if what == "MISSING" {
                        out += " " + (not ? "attribute_exists(" : "attribute_not_exists(") + path + ")"
                    } else {
                        out += " " + (not ? "NOT " : "") + "attribute_type(" + path + ", " + valueRef(.s("NULL")) + ")"
                    }
                } else if ["TRUE", "FALSE", "NULL"].contains(u) {
                    out += " " + valueRef(try literal())
                } else if Self.keywords.contains(u) {
                    pos += w.utf8.count
                    out += " " + u
                    if u == "IN", peekChar() == UInt8(ascii: "[") {
                        guard case .l(let l) = try literal() else { throw Self.error("IN") }
                        out += " (" + l.map { valueRef($0) }.joined(separator: ", ") + ")"
                    }
                } else if Self.functions.contains(w) {
                    pos += w.utf8.count
                    out += " " + w
                } else {
                    pos += w.utf8.count
                    out += (lastWasName && out.hasSuffix(".") ? "" : " ") + nameRef(w)
                    lastWasName = true
                    continue
                }
                lastWasName = false
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "?") || c == UInt8(ascii: "{") || (c >= 0x30 && c <= 0x39)
                || (c == UInt8(ascii: "<") && pos + 1 < src.count && src[pos + 1] == UInt8(ascii: "<"))
                || (c == UInt8(ascii: "[") && !lastWasName)
            {
                if c >= 0x30 && c <= 0x39 && out.hasSuffix("[") {
                    let start = pos
                    while pos < src.count && src[pos] >= 0x30 && src[pos] <= 0x39 { pos += 1 }
                    out += String(decoding: src[start..<pos], as: UTF8.self)
                    continue
                }
                out += " " + valueRef(try literal())
                lastWasName = false
            } else {
                pos += 1
                let ch = String(UnicodeScalar(c))
                if ch == "." || ch == "[" || ch == "]" { out += ch } else { out += " " + ch }
                if ch == "]" || ch == "." { lastWasName = ch == "]"; continue }
                lastWasName = false
            }
        }
    }
}

extension DynamoDBService {
    /// Runs one statement. With `collect`, a write is not run but handed over as the
    /// TransactWriteItems element it translates to (ExecuteTransaction).
    func executeStatement(_ input: Value, _ ctx: RequestContext, collect: ((Value) -> Void)? = nil) throws -> (Value, [Commit]) {
        let params = try (input["Parameters"]?.listValue ?? []).map(AV.from)
        var tr = PartiQLTranslator(input["Statement"]?.stringValue ?? "", params: params)
        let verb = tr.word().uppercased()
        switch verb {
        case "SELECT":
            var projection = "*"
            if tr.peekChar() == UInt8(ascii: "*") {
                tr.pos += 1
            } else {
                projection = try tr.translate(until: ["FROM"])
            }
            try tr.expectWord("FROM")
            let table = try tr.identifier()
            var index: String?
            if tr.peekChar() == UInt8(ascii: ".") {
                tr.pos += 1
                index = try tr.identifier()
            }
            var filter: String?
            if tr.peekWord().uppercased() == "WHERE" {
                _ = tr.word()
                filter = try tr.translate()
            }
            guard tr.atEnd else { throw PartiQLTranslator.error("Statement wasn't well formed, can't be processed: unexpected input") }
            guard tr.nextParam == params.count else {
                throw PartiQLTranslator.error("Number of parameters in request and statement don't match.")
            }
            var scanInput: Value = ["TableName": .string(table)]
            if let index { scanInput["IndexName"] = .string(index) }
            if projection != "*" { scanInput["ProjectionExpression"] = .string(projection) }
            if let filter { scanInput["FilterExpression"] = .string(filter) }
            if !tr.names.isEmpty { scanInput["ExpressionAttributeNames"] = .object(tr.names.mapValues { .string($0) }) }
            if !tr.values.isEmpty { scanInput["ExpressionAttributeValues"] = .object(tr.values.mapValues { $0.value }) }
            if let l = input["Limit"] { scanInput["Limit"] = l }
            if let token = input["NextToken"]?.stringValue {
                var r = BinaryReader(Base64.decode(token) ?? [])
                guard let start = try? r.item() else { throw DDBError.validation("Invalid NextToken") }
                scanInput["ExclusiveStartKey"] = ItemCodec.value(start)
            }
            // Unused names/values cannot happen: every one was generated from the statement.
            let page = try scan(scanInput, ctx, partiql: true)
            var out: Value = ["Items": page["Items"] ?? []]
            if let lek = page["LastEvaluatedKey"] {
                var w = BinaryWriter()
                w.item(try ItemCodec.item(lek))
                out["NextToken"] = .string(Base64.encode(w.bytes))
            }
            return (out, [])
        case "INSERT":
            try tr.expectWord("INTO")
            let table = try tr.identifier()
            try tr.expectWord("VALUE")
            guard case .m(let item) = try tr.literal() else {
                throw PartiQLTranslator.error("Statement wasn't well formed, can't be processed: VALUE must be a map")
            }
            guard tr.atEnd else { throw PartiQLTranslator.error("Statement wasn't well formed, can't be processed: unexpected input") }
            let hashName = try withTable(["TableName": .string(table)], ctx, notFound: DDBError.notFound()) { $0.hash }
            let put: Value = [
                "TableName": .string(table), "Item": ItemCodec.value(item),
                "ConditionExpression": "attribute_not_exists(#h)", "ExpressionAttributeNames": ["#h": .string(hashName)],
            ]
            if let collect {
                collect(["Put": put])
                return (.empty, [])
            }
            do {
                return try writeItem("PutItem", put, ctx)
            } catch let e as AWSError where e.code == "ConditionalCheckFailedException" {
                throw AWSError(code: "DuplicateItemException", message: "Duplicate primary key exists in table")
            }
        case "UPDATE", "DELETE":
            if verb == "DELETE" { try tr.expectWord("FROM") }
            let table = try tr.identifier()
            var update: String?
            if verb == "UPDATE" {
                // PartiQL may repeat SET and REMOVE; the update expression takes each once.
                var sets: [String] = [], removes: [String] = []
                while ["SET", "REMOVE"].contains(tr.peekWord().uppercased()) {
                    let k = tr.word().uppercased()
                    let body = try tr.translate(until: ["SET", "REMOVE", "WHERE"])
                    if k == "SET" { sets.append(body) } else { removes.append(body) }
                }
                var clauses: [String] = []
                if !sets.isEmpty { clauses.append("SET " + sets.joined(separator: ", ")) }
                if !removes.isEmpty { clauses.append("REMOVE " + removes.joined(separator: ", ")) }
                update = clauses.joined(separator: " ")
            }
            try tr.expectWord("WHERE")
            let whereText = try tr.translate()
            let (hash, range) = try withTable(["TableName": .string(table)], ctx, notFound: DDBError.notFound()) { ($0.hash, $0.range) }
            // The key comes from equality conditions on the key attributes.
            let scope = ExpressionScope(names: tr.names, values: tr.values)
            var parser = try ExpressionParser(whereText, kind: "Statement", scope: scope)
            let cond = try parser.parseCondition()
            var key: Item = [:]
            func collectKey(_ c: Condition) {
                switch c {
                case .and(let a, let b): collectKey(a); collectKey(b)
                case .compare(.path(let p), "=", .value(let v, _)) where p.count == 1:
                    if case .name(let n) = p[0], n == hash || n == range { key[n] = v }
                default: break
                }
            }
            collectKey(cond)
            guard key[hash] != nil, range == nil || key[range!] != nil else {
                throw DDBError.validation("Where clause does not contain a mandatory equality on all key attributes")
            }
            let hashRef = tr.nameRef(hash)
            var req: Value = [
                "TableName": .string(table), "Key": ItemCodec.value(key),
                "ConditionExpression": .string(verb == "UPDATE" ? "attribute_exists(\(hashRef)) AND (\(whereText))" : whereText),
                "ExpressionAttributeNames": .object(tr.names.mapValues { .string($0) }),
            ]
            if !tr.values.isEmpty { req["ExpressionAttributeValues"] = .object(tr.values.mapValues { $0.value }) }
            if let update { req["UpdateExpression"] = .string(update) }
            if let r = input["ReturnValuesOnConditionCheckFailure"] { req["ReturnValuesOnConditionCheckFailure"] = r }
            if let collect {
                collect([verb == "UPDATE" ? "Update" : "Delete": req])
                return (.empty, [])
            }
            do {
                let (_, commits) = try writeItem(verb == "UPDATE" ? "UpdateItem" : "DeleteItem", req, ctx)
                return (["Items": []], commits)
            } catch let e as AWSError where e.code == "ConditionalCheckFailedException" && verb == "DELETE" {
                // A DELETE whose item is absent succeeds; one whose extra conditions fail does not.
                let exists = try withTable(["TableName": .string(table)], ctx) { t in t.get(try t.parseKey(key)) != nil }
                if !exists { return (["Items": []], []) }
                throw e
            }
        default:
            throw PartiQLTranslator.error("Statement wasn't well formed, can't be processed: Unexpected keyword \(verb)")
        }
    }

    func executeTransaction(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let statements = input["TransactStatements"]?.listValue ?? []
        if statements.count > 100 {
            throw DDBError.validation("Member must have length less than or equal to 100")
        }
        let isRead = statements.allSatisfy { ($0["Statement"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces).uppercased().hasPrefix("SELECT") }
        if isRead {
            var responses: [Value] = []
            for st in statements {
                let (out, _) = try executeStatement(st, ctx)
                if let item = out["Items"]?.listValue?.first { responses.append(["Item": item]) } else { responses.append(.empty) }
            }
            return (["Responses": .list(responses)], [])
        }
        var items: [Value] = []
        for st in statements {
            if (st["Statement"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces).uppercased().hasPrefix("SELECT") {
                throw DDBError.validation("Transaction must contain either all read statements or all write statements")
            }
            _ = try executeStatement(st, ctx) { items.append($0) }
        }
        var tx: Value = ["TransactItems": .list(items)]
        if let token = input["ClientRequestToken"] { tx["ClientRequestToken"] = token }
        let (_, commits) = try transactWrite(tx, ctx)
        return (.empty, commits)
    }

    func batchExecuteStatement(_ input: Value, _ ctx: RequestContext) throws -> (Value, [Commit]) {
        let statements = input["Statements"]?.listValue ?? []
        if statements.count > 25 {
            throw DDBError.validation("1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25")
        }
        var responses: [Value] = []
        var commits: [Commit] = []
        for st in statements {
            do {
                let (out, c) = try executeStatement(st, ctx)
                commits += c
                var r: Value = [:]
                if let table = try? PartiQLTranslator.tableName(st["Statement"]?.stringValue ?? "") { r["TableName"] = .string(table) }
                if let item = out["Items"]?.listValue?.first { r["Item"] = item }
                responses.append(r)
            } catch let e as AWSError {
                let code = [
                    "ValidationException": "ValidationError", "ConditionalCheckFailedException": "ConditionalCheckFailed",
                    "ResourceNotFoundException": "ResourceNotFound", "DuplicateItemException": "DuplicateItem",
                ][e.code] ?? "InternalServerError"
                responses.append(["Error": ["Code": .string(code), "Message": .string(e.message)]])
            }
        }
        return (["Responses": .list(responses)], commits)
    }
}

extension PartiQLTranslator {
    /// The table a statement names (for BatchExecuteStatement responses).
    static func tableName(_ statement: String) throws -> String {
        var t = PartiQLTranslator(statement, params: [])
        let verb = t.word().uppercased()
        switch verb {
        case "SELECT":
            while !t.atEnd && t.peekWord().uppercased() != "FROM" {
                if t.peekWord().isEmpty { t.pos += 1 } else { _ = t.word() }
            }
            _ = t.word()
        case "INSERT": _ = t.word()
        case "DELETE": _ = t.word()
        default: break
        }
        return try t.identifier()
    }
}
