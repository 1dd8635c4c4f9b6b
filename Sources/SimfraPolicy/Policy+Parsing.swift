import SimfraCore

extension Policy {
    static let versions: Set<String> = ["2012-10-17", "2008-10-17"]
    static let partitions: Set<String> = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"]
    static let documentKeys: Set<String> = ["Version", "Id", "Statement"]
    static let statementKeys: Set<String> = [
        "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition",
    ]

    /// Parses and validates a document already read from JSON (the caller uses the project's
    /// depth-limited reader and maps a JSON syntax error to `PolicyValidationError.invalidJSON`).
    /// Validation follows AWS's order closely enough that the first problem reported is the
    /// one AWS reports for the common mistakes.
    package convenience init(parsing document: Value, kind: Kind) throws(PolicyValidationError) {
        let iam = kind != .resource
        guard case .object(let doc) = document else { throw .syntax }
        for key in doc.keys where !Self.documentKeys.contains(key) { throw .syntax }
        let version: String?
        switch doc["Version"] {
        case nil: version = nil
        case .string(let v)? where Self.versions.contains(v): version = v
        default: throw .version
        }
        let id: String?
        switch doc["Id"] {
        case nil: id = nil
        case .string(let s)?: id = s
        default: throw .syntax
        }
        let rawStatements: [Value]
        switch doc["Statement"] {
        case .object?: rawStatements = [doc["Statement"]!]
        case .list(let l)?: rawStatements = l
        case nil: throw iam ? .syntax : .missingField("Statement")
        default: throw .syntax
        }
        var seenSids: Set<String> = []
        var statements: [PolicyStatement] = []
        statements.reserveCapacity(rawStatements.count)
        for (index, raw) in rawStatements.enumerated() {
            let s = try Self.parseStatement(raw, index: index, kind: kind, version: version)
            if let sid = s.sid, !sid.isEmpty, iam {
                if !seenSids.insert(sid).inserted { throw .duplicateSid }
            }
            statements.append(s)
        }
        self.init(kind: kind, version: version, id: id, statements: statements)
    }

    private static func parseStatement(_ raw: Value, index: Int, kind: Kind, version: String?)
        throws(PolicyValidationError) -> PolicyStatement
    {
        let iam = kind != .resource
        guard case .object(let st) = raw else { throw .syntax }
        for key in st.keys where !statementKeys.contains(key) { throw .syntax }

        var sid: String?
        switch st["Sid"] {
        case nil: break
        case .string(let s)?:
            if iam, !s.utf8.allSatisfy({ isAlphanumeric($0) }) { throw .sidCharacters }
            sid = s
        default: throw .syntax
        }

        let effect: PolicyEffect
        switch st["Effect"] {
        case .string(let e)?:
            guard let parsed = PolicyEffect(rawValue: e) else { throw iam ? .syntax : .invalidEffect(e) }
            effect = parsed
        case nil: throw iam ? .syntax : .missingField("Effect")
        default: throw .syntax
        }

        // Principal rules depend on the kind of document.
        if st["Principal"] != nil, st["NotPrincipal"] != nil { throw .syntax }
        let principalValue = st["Principal"] ?? st["NotPrincipal"]
        var principals: PrincipalSet?
        switch kind {
        case .identity:
            if principalValue != nil { throw .principalInIdentityPolicy }
        case .resource, .trust:
            guard let principalValue else { throw .missingField("Principal") }
            principals = try parsePrincipal(principalValue, iam: iam)
        }

        if st["Action"] != nil, st["NotAction"] != nil { throw .syntax }
        guard let actionValue = st["Action"] ?? st["NotAction"] else {
            throw iam ? .noActions : .missingField("Action")
        }
        let actions = try stringList(actionValue)
        for a in actions { try validateAction(a, iam: iam) }

        if st["Resource"] != nil, st["NotResource"] != nil { throw .syntax }
        let resourceValue = st["Resource"] ?? st["NotResource"]
        var resources: [PolicyStatement.ResourceMatcher]?
        if kind == .trust {
            if st["Resource"] != nil { throw .prohibitedField("Resource") }
            if st["NotResource"] != nil { throw .prohibitedField("NotResource") }
        } else {
            guard let resourceValue else { throw iam ? .noResources : .missingField("Resource") }
            let list = try stringList(resourceValue)
            for r in list { try validateResource(r, iam: iam, version: version) }
            let substitute = version == "2012-10-17"
            resources = list.map { r in
                let t = PolicyTemplate(r, substitute: substitute)
                if t.hasVariables { return .templated(t) }
                return .fixed(ArnPattern(tokens: t.resolveTokens(PolicyContext()) ?? []))
            }
        }

        var conditions: [Condition] = []
        if let c = st["Condition"] {
            conditions = try parseConditions(c, substitute: version == "2012-10-17")
        }

        return PolicyStatement(
            index: index, sid: sid, effect: effect,
            actions: actions, notAction: st["NotAction"] != nil,
            resources: resources, notResource: st["NotResource"] != nil,
            principals: principals, notPrincipal: st["NotPrincipal"] != nil,
            conditions: conditions)
    }

    /// A string or a non-empty list of strings.
    private static func stringList(_ v: Value) throws(PolicyValidationError) -> [String] {
        switch v {
        case .string(let s): return [s]
        case .list(let l) where !l.isEmpty:
            var out: [String] = []
            out.reserveCapacity(l.count)
            for item in l {
                guard case .string(let s) = item else { throw .syntax }
                out.append(s)
            }
            return out
        default: throw .syntax
        }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122)
    }

    private static func validateAction(_ a: String, iam: Bool) throws(PolicyValidationError) {
        if a == "*" { return }
        let parts = a.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            if !iam { throw .invalidAction }
            throw parts.count < 2 ? .vendorPrefix : .oneColon
        }
        let vendor = parts[0]
        guard !vendor.isEmpty,
            vendor.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") })
        else { throw iam ? .vendor(String(vendor)) : .invalidAction }
        let name = parts[1]
        let allowed = name.utf8.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "-")
                || $0 == UInt8(ascii: "_")
        }
        guard !name.isEmpty, allowed else { throw .invalidAction }
    }

    private static func validateResource(_ r: String, iam: Bool, version: String?) throws(PolicyValidationError) {
        if r == "*" { return }
        let parts = r.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn" else {
            if !iam { throw .invalidResource }
            throw version == nil ? .legacyParsing : .resourceFormat(r)
        }
        let partition = String(parts[1])
        if !partition.contains(Character("*")), !partition.contains(Character("?")), !partition.contains(Character("$")),
            !partitions.contains(partition)
        {
            throw iam ? .partition(partition, r) : .invalidResource
        }
    }

    private static func parsePrincipal(_ v: Value, iam: Bool) throws(PolicyValidationError) -> PrincipalSet {
        var set = PrincipalSet()
        if case .string(let s) = v {
            guard s == "*" else { throw iam ? .invalidPrincipal("AWS", s) : .invalidPrincipalPlain }
            set.everyone = true
            return set
        }
        guard case .object(let o) = v, !o.isEmpty else { throw iam ? .syntax : .invalidPrincipalPlain }
        for (key, value) in o {
            let values: [String]
            do { values = try stringList(value) } catch { throw iam ? .syntax : .invalidPrincipalPlain }
            for s in values {
                let ok: Bool
                switch key {
                case "AWS":
                    ok = addAWSPrincipal(s, to: &set)
                case "Service":
                    ok = !s.isEmpty && !s.contains(Character(" ")) && (s == "*" || s.contains(Character(".")))
                    if s == "*" { set.everyone = true } else { set.services.insert(s) }
                case "Federated":
                    ok = !s.isEmpty && !s.contains(Character(" "))
                    set.federated.insert(s)
                case "CanonicalUser":
                    ok = !s.isEmpty && s.utf8.allSatisfy { isAlphanumeric($0) }
                    set.canonicalUsers.insert(s)
                default:
                    throw iam ? .invalidPrincipal(key, s) : .invalidPrincipalPlain
                }
                if !ok { throw iam ? .invalidPrincipal(key, s) : .invalidPrincipalPlain }
            }
        }
        return set
    }

    /// `*`, a 12-digit account id, or an IAM/STS ARN in some account (root, user, role,
    /// assumed-role or federated-user). Partial wildcards are not allowed in principals.
    private static func addAWSPrincipal(_ s: String, to set: inout PrincipalSet) -> Bool {
        if s == "*" {
            set.everyone = true
            return true
        }
        if s.utf8.count == 12, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            set.accounts.insert(s)
            return true
        }
        let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", partitions.contains(String(parts[1])),
            parts[2] == "iam" || parts[2] == "sts", parts[3].isEmpty,
            parts[4].utf8.count == 12, parts[4].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            !parts[5].isEmpty, !s.contains(Character("*"))
        else { return false }
        if parts[5] == "root" { set.accounts.insert(String(parts[4])) } else { set.arns.insert(s) }
        return true
    }

    private static func parseConditions(_ v: Value, substitute: Bool) throws(PolicyValidationError) -> [Condition] {
        guard case .object(let ops) = v else { throw .syntax }
        var out: [Condition] = []
        for (opName, body) in ops.sorted(by: { $0.key < $1.key }) {
            guard let op = ConditionOperator(parsing: opName), case .object(let keys) = body, !keys.isEmpty else {
                throw .syntax
            }
            for (key, raw) in keys.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .vendorPrefix }
                let values = try conditionValues(raw)
                out.append(Condition(op: op, key: key, values: values, substituteVariables: substitute))
            }
        }
        return out
    }

    /// Condition values may be strings, numbers or booleans, alone or in a non-empty list.
    private static func conditionValues(_ v: Value) throws(PolicyValidationError) -> [String] {
        func scalar(_ v: Value) throws(PolicyValidationError) -> String {
            switch v {
            case .string(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .integer(let i): return String(i)
            case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            default: throw .syntax
            }
        }
        if case .list(let l) = v {
            guard !l.isEmpty else { throw .syntax }
            var out: [String] = []
            for item in l { out.append(try scalar(item)) }
            return out
        }
        return [try scalar(v)]
    }
}
