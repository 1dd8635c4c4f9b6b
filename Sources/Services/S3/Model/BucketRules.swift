import SimfraCore

/// Bucket naming and region rules (general purpose buckets).
enum BucketRules {
    /// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    static func isValidName(_ name: String) -> Bool {
        let b = Array(name.utf8)
        guard b.count >= 3, b.count <= 63 else { return false }
        func lowerAlnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard lowerAlnum(b[0]), lowerAlnum(b[b.count - 1]) else { return false }
        var prev: UInt8 = 0
        for c in b {
            guard lowerAlnum(c) || c == 0x2E || c == 0x2D else { return false }
            if c == 0x2E && (prev == 0x2E || prev == 0x2D) { return false }
            if c == 0x2D && prev == 0x2E { return false }
            prev = c
        }
        if isIPv4(name) { return false }
        for p in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(p) { return false }
        for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(s) { return false }
        return true
    }

    private static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isNumber) }
    }

    /// Region names S3 accepts as a LocationConstraint (plus the legacy `EU`).
    static func regionForConstraint(_ c: String) -> String? {
        if c == "EU" { return "eu-west-1" }
        let parts = c.split(separator: "-")
        // <area>-<direction>-<n>, e.g. eu-west-1, ap-southeast-2, us-gov-west-1, cn-north-1.
        guard parts.count >= 3, let last = parts.last, Int(last) != nil,
            parts.dropLast().allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter && $0.isLowercase } })
        else { return nil }
        return c
    }

    /// Where CreateBucket puts a bucket, or the error S3 answers: a request signed for region
    /// R must name R as its LocationConstraint unless R is us-east-1 (the global endpoint,
    /// which accepts any other region and none at all, but never `us-east-1` spelt out).
    static func resolveRegion(constraint: String?, requestRegion: String) throws(AWSError) -> (region: String, constraint: String?) {
        guard let c = constraint, !c.isEmpty else {
            if requestRegion == "us-east-1" { return ("us-east-1", nil) }
            throw AWSError(code: "IllegalLocationConstraintException",
                           message: "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
                           status: 400)
        }
        guard let region = regionForConstraint(c), c != "us-east-1" else {
            throw AWSError(code: "InvalidLocationConstraint", message: "The specified location-constraint is not valid",
                           status: 400, extra: ["LocationConstraint": .string(c)])
        }
        if requestRegion != "us-east-1" && region != requestRegion {
            throw AWSError(code: "IllegalLocationConstraintException",
                           message: "The \(c) location constraint is incompatible for the region specific endpoint this request was sent to.",
                           status: 400)
        }
        return (region, c)
    }
}
