/// Conditional request headers evaluated the way S3 documents them for GET and HEAD:
/// If-Match (else If-Unmodified-Since) fails with 412; If-None-Match (else
/// If-Modified-Since) fails with 304.
struct Conditions {
    var ifMatch: String?
    var ifNoneMatch: String?
    var ifModifiedSince: Double?
    var ifUnmodifiedSince: Double?

    enum Outcome: Equatable {
        case proceed
        case preconditionFailed(String)
        case notModified
    }

    /// - Parameters:
    ///   - etag: the object's quoted ETag.
    ///   - lastModified: seconds since the epoch (compared at whole seconds, as HTTP dates are).
    func evaluate(etag: String, lastModified: Double) -> Outcome {
        let modified = lastModified.rounded(.down)
        if let im = ifMatch {
            if !Self.matches(im, etag) { return .preconditionFailed("If-Match") }
        } else if let ius = ifUnmodifiedSince, modified > ius {
            return .preconditionFailed("If-Unmodified-Since")
        }
        if let inm = ifNoneMatch {
            if Self.matches(inm, etag) { return .notModified }
        } else if let ims = ifModifiedSince, modified <= ims {
            return .notModified
        }
        return .proceed
    }

    /// Copy-source conditions: every failure is a 412.
    func evaluateForCopy(etag: String, lastModified: Double) -> Outcome {
        switch evaluate(etag: etag, lastModified: lastModified) {
        case .notModified:
            return .preconditionFailed(ifNoneMatch != nil ? "x-amz-copy-source-If-None-Match" : "x-amz-copy-source-If-Modified-Since")
        case .preconditionFailed(let c):
            return .preconditionFailed(c == "If-Match" ? "x-amz-copy-source-If-Match" : "x-amz-copy-source-If-Unmodified-Since")
        case .proceed:
            return .proceed
        }
    }

    /// An If-Match / If-None-Match list (`"a", W/"b"`, or `*`) against a quoted ETag.
    static func matches(_ header: String, _ etag: String) -> Bool {
        let bare = unquote(etag)
        for raw in header.split(separator: ",") {
            var t = raw.trimmingCharacters(in: " ")
            if t == "*" { return true }
            if t.hasPrefix("W/") { t = String(t.dropFirst(2)) }
            if unquote(t) == bare { return true }
        }
        return false
    }

    static func unquote(_ s: String) -> String {
        var t = Substring(s)
        if t.hasPrefix("\"") { t = t.dropFirst() }
        if t.hasSuffix("\"") { t = t.dropLast() }
        return String(t)
    }
}
