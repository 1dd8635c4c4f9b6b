/// The parts of a SigV4 signature, from the Authorization header or a presigned query.
package struct SigV4Parsed: Sendable {
    package var accessKeyId: String
    /// yyyyMMdd from the credential scope.
    package var scopeDate: String
    package var region: String
    package var service: String
    package var signedHeaders: [String]
    package var signature: String
    /// yyyyMMdd'T'HHmmss'Z'
    package var amzDate: String
    package var presigned: Bool
    /// X-Amz-Expires for presigned requests.
    package var expires: Int?
    package var securityToken: String?

    package var scope: String { "\(scopeDate)/\(region)/\(service)/aws4_request" }

    /// Just the credential scope, without checking anything else: the server uses it to
    /// detect the service and region before the full verification.
    package static func peekScope(_ request: AWSRequest) -> (accessKey: String, region: String, service: String)? {
        if let auth = request.header("authorization"), auth.hasPrefix("AWS4-HMAC-SHA256") {
            // Byte scan: String.range(of:) cost 3% of a small S3 request here.
            var auth = auth
            return auth.withUTF8 { u -> (accessKey: String, region: String, service: String)? in
                let needle = Array("Credential=".utf8)
                var i = 16
                while i + needle.count <= u.count {
                    if u[i] == 0x43 && (0..<needle.count).allSatisfy({ u[i + $0] == needle[$0] }) {
                        var end = i + needle.count
                        while end < u.count && u[end] != 0x2C && u[end] != 0x20 { end += 1 }
                        return scopeParts(UnsafeBufferPointer(rebasing: u[(i + needle.count)..<end]))
                    }
                    i += 1
                }
                return nil
            }
        }
        guard request.rawQuery.contains("X-Amz-Credential="), var c = request.queryValue("X-Amz-Credential") else { return nil }
        return c.withUTF8 { scopeParts($0) }
    }

    /// `AKID/date/region/service/aws4_request` split into its useful parts.
    private static func scopeParts(_ u: UnsafeBufferPointer<UInt8>) -> (accessKey: String, region: String, service: String)? {
        var slashes: [Int] = []
        for (i, b) in u.enumerated() where b == 0x2F {
            slashes.append(i)
            if slashes.count > 4 { return nil }
        }
        guard slashes.count == 4 else { return nil }
        func part(_ from: Int, _ to: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: u[from..<to]), as: UTF8.self)
        }
        return (part(0, slashes[0]), part(slashes[1] + 1, slashes[2]), part(slashes[2] + 1, slashes[3]))
    }

    package static func parse(_ request: AWSRequest) throws(SigV4Failure) -> SigV4Parsed {
        if let auth = request.header("authorization") {
            return try parseHeader(auth, request)
        }
        if request.rawQuery.contains("X-Amz-Signature=") || request.rawQuery.contains("X-Amz-Credential=") {
            return try parseQuery(request)
        }
        throw .missing
    }

    private static func parseHeader(_ auth: String, _ request: AWSRequest) throws(SigV4Failure) -> SigV4Parsed {
        guard auth.hasPrefix("AWS4-HMAC-SHA256 ") else {
            if auth.hasPrefix("AWS ") {
                throw .incomplete("Signature Version 2 is not supported; sign requests with AWS4-HMAC-SHA256")
            }
            throw .incomplete("Unsupported Authorization Type")
        }
        // Byte-level scan: `Credential=…, SignedHeaders=…, Signature=…` in any order.
        // (String.split on Substrings walks grapheme clusters and costs ~10 µs here.)
        var credential: String?, signed: String?, signature: String?
        let u = Array(auth.utf8)
        var i = 17
        while i < u.count {
            while i < u.count && (u[i] == 0x20 || u[i] == 0x2C) { i += 1 }
            let start = i
            while i < u.count && u[i] != 0x2C { i += 1 }
            var end = i
            while end > start && u[end - 1] == 0x20 { end -= 1 }
            guard let eq = u[start..<end].firstIndex(of: 0x3D) else { continue }
            let value = String(decoding: u[(eq + 1)..<end], as: UTF8.self)
            switch eq - start {
            case 10 where u[start] == UInt8(ascii: "C"): credential = value
            case 13 where u[start] == UInt8(ascii: "S"): signed = value
            case 9 where u[start] == UInt8(ascii: "S"): signature = value
            default: break
            }
        }
        var missing: [String] = []
        if credential == nil { missing.append("Credential") }
        if signed == nil { missing.append("SignedHeaders") }
        if signature == nil { missing.append("Signature") }
        if !missing.isEmpty {
            throw .incomplete(
                "Authorization header requires \(missing.map { "'\($0)'" }.joined(separator: ", ")) parameter. Authorization=\(auth)")
        }
        guard let date = request.header("x-amz-date") ?? request.header("date").flatMap(AmzDate.fromHTTPDate) else {
            throw .incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=\(auth)")
        }
        return try build(credential!, signed!, signature!, date, presigned: false, expires: nil,
                         token: request.header("x-amz-security-token"))
    }

    private static func parseQuery(_ request: AWSRequest) throws(SigV4Failure) -> SigV4Parsed {
        var q: [String: String] = [:]
        for (k, v) in request.queryItems where k.hasPrefix("X-Amz-") { q[k] = v }
        guard q["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" else {
            throw .incomplete("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        var missing: [String] = []
        for k in ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"] where q[k] == nil {
            missing.append(k)
        }
        if !missing.isEmpty {
            throw .incomplete("Query-string authentication requires the \(missing.joined(separator: ", ")) parameters")
        }
        var expires: Int? = nil
        if let e = q["X-Amz-Expires"] {
            guard let v = Int(e), v >= 0 else { throw .incomplete("X-Amz-Expires should be a number") }
            guard v <= 604_800 else {
                throw .incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
            }
            expires = v
        }
        return try build(q["X-Amz-Credential"]!, q["X-Amz-SignedHeaders"]!, q["X-Amz-Signature"]!, q["X-Amz-Date"]!,
                         presigned: true, expires: expires, token: q["X-Amz-Security-Token"])
    }

    private static func build(
        _ credential: String, _ signed: String, _ signature: String, _ date: String,
        presigned: Bool, expires: Int?, token: String?
    ) throws(SigV4Failure) -> SigV4Parsed {
        let parts = splitBytes(credential, 0x2F)
        guard parts.count == 5, parts[4] == "aws4_request", !parts[0].isEmpty else {
            throw .incomplete("Credential should be scoped to a valid region, not '\(credential)'")
        }
        guard AmzDate.seconds(date) != nil else {
            throw .incomplete("Invalid X-Amz-Date '\(date)'")
        }
        return SigV4Parsed(
            accessKeyId: parts[0], scopeDate: parts[1], region: parts[2], service: parts[3],
            signedHeaders: splitBytes(signed, 0x3B).filter { !$0.isEmpty }.map { $0.lowercased() },
            signature: signature, amzDate: date, presigned: presigned, expires: expires, securityToken: token)
    }
}

extension StringProtocol {
    func trimmingCharacters(in c: Character) -> Substring {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return s
    }
}

/// Splits on an ASCII byte without String's grapheme machinery.
func splitBytes(_ s: String, _ sep: UInt8) -> [String] {
    var out: [String] = []
    var s = s
    s.withUTF8 { u in
        var start = 0
        for i in 0..<u.count where u[i] == sep {
            out.append(String(decoding: UnsafeBufferPointer(rebasing: u[start..<i]), as: UTF8.self))
            start = i + 1
        }
        out.append(String(decoding: UnsafeBufferPointer(rebasing: u[start..<u.count]), as: UTF8.self))
    }
    return out
}
