import SimfraCore
import SimfraPolicy
import SimfraProtocols

/// How a bucket's policy, ACLs and Block Public Access settings reach the authoriser: the
/// bucket policy as stored, plus the statements the bucket's and object's canned ACLs amount
/// to (so one engine decides, the way S3 combines policies and ACLs), minus what
/// `IgnorePublicAcls` and `RestrictPublicBuckets` switch off.
extension S3Service: ResourcePolicyService {
    /// Every S3 operation may be called unsigned: a public bucket or object answers anonymous
    /// callers, and the authoriser refuses the rest with S3's "Access Denied".
    public func acceptsUnsigned(operation: String) -> Bool { operation != "ListBuckets" }

    public func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument? {
        guard let (bucketName, key) = Self.splitArn(arn) else { return nil }
        return state.withLock { s -> ResourcePolicyDocument? in
            guard let b = s.buckets[bucketName] else { return nil }
            let block = PublicAccessBlock(b.config["PublicAccessBlock"])
            var policy = b.config["Policy"]?.stringValue ?? ""
            if block.restrictPublicBuckets, !policy.isEmpty, context.accountId != b.owner, Self.isPublicPolicy(policy) {
                // Public grants of the policy do not reach callers outside the owner's account.
                policy = ""
            }
            var acls: [String] = []
            if !block.ignorePublicAcls {
                let bucketACL = b.config["ACL"]?.stringValue ?? "private"
                if let key {
                    if let v = b.latest(key), !v.isDeleteMarker, let d = Self.objectACLDocument(v.acl, bucketOwner: b.owner) {
                        acls.append(d)
                    }
                    if let d = Self.bucketWriteACLDocument(bucketACL) { acls.append(d) }
                } else if let d = Self.bucketACLDocument(bucketACL) {
                    acls.append(d)
                }
            }
            if policy.isEmpty && acls.isEmpty { return nil }
            return ResourcePolicyDocument(document: policy, ownerAccount: b.owner, additionalDocuments: acls)
        }
    }

    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? {
        guard let (bucketName, _) = Self.splitArn(arn) else { return nil }
        return state.withLock { $0.buckets[bucketName]?.owner }
    }

    /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    static func splitArn(_ arn: String) -> (String, String?)? {
        guard arn.hasPrefix("arn:aws:s3:::") else { return nil }
        let rest = arn.dropFirst("arn:aws:s3:::".count)
        guard let slash = rest.firstIndex(of: "/") else { return (String(rest), nil) }
        return (String(rest[..<slash]), String(rest[rest.index(after: slash)...]))
    }

    /// Why a bucket policy is refused (`MalformedPolicy`), in the engine's words, which are
    /// S3's ("Missing required field Principal", "Policy has invalid resource", …); nil if valid.
    static func policyProblem(_ text: String) -> String? {
        // S3 caps bucket policies at 20 KB, checked before anything is parsed.
        if text.utf8.count > 20 * 1024 { return "Policy exceeds the maximum allowed document size." }
        guard let v = try? JSONReader.parse(Array(text.utf8)) else {
            return "Policies must be valid JSON and the first byte must be '{'"
        }
        do {
            _ = try Policy(parsing: v, kind: .resource)
            return nil
        } catch {
            return error.message
        }
    }

    /// Whether a stored policy grants public access (GetBucketPolicyStatus, BlockPublicPolicy).
    static func isPublicPolicy(_ text: String) -> Bool {
        guard let v = try? JSONReader.parse(Array(text.utf8)), let p = try? Policy(parsing: v, kind: .resource) else { return false }
        return p.isPublic
    }

    /// A canned ACL that grants anyone or any AWS account something.
    static func isPublicACL(_ canned: String?) -> Bool {
        guard let canned else { return false }
        return canned == "public-read" || canned == "public-read-write" || canned == "authenticated-read"
    }

    // The statements canned ACLs amount to. `authenticated-read` grants any signed caller: the
    // Null test on aws:PrincipalAccount (present for every signed identity) says so.
    private static let everyone = "\"Principal\":\"*\""
    private static let signed = "\"Principal\":\"*\",\"Condition\":{\"Null\":{\"aws:PrincipalAccount\":\"false\"}}"

    static func bucketACLDocument(_ canned: String) -> String? {
        let list = "\"s3:ListBucket\",\"s3:ListBucketVersions\",\"s3:ListBucketMultipartUploads\""
        switch canned {
        case "public-read", "public-read-write": return doc(everyone, list)
        case "authenticated-read": return doc(signed, list)
        default: return nil
        }
    }

    /// WRITE on a bucket lets the grantee create, overwrite and delete its objects.
    static func bucketWriteACLDocument(_ canned: String) -> String? {
        guard canned == "public-read-write" else { return nil }
        return doc(everyone, "\"s3:PutObject\",\"s3:DeleteObject\",\"s3:AbortMultipartUpload\"")
    }

    static func objectACLDocument(_ canned: String, bucketOwner: String) -> String? {
        let read = "\"s3:GetObject\",\"s3:GetObjectVersion\",\"s3:GetObjectAttributes\""
        switch canned {
        case "public-read", "public-read-write": return doc(everyone, read)
        case "authenticated-read": return doc(signed, read)
        case "bucket-owner-read", "bucket-owner-full-control":
            return doc("\"Principal\":{\"AWS\":\"\(bucketOwner)\"}", read + ",\"s3:GetObjectAcl\"")
        default: return nil
        }
    }

    private static func doc(_ principal: String, _ actions: String) -> String {
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\(principal),\"Action\":[\(actions)],\"Resource\":\"*\"}]}"
    }
}

/// A bucket's Block Public Access settings (all off when it has none).
struct PublicAccessBlock {
    var blockPublicAcls = false
    var ignorePublicAcls = false
    var blockPublicPolicy = false
    var restrictPublicBuckets = false

    init(_ v: Value?) {
        guard let v else { return }
        blockPublicAcls = v["BlockPublicAcls"]?.boolValue ?? false
        ignorePublicAcls = v["IgnorePublicAcls"]?.boolValue ?? false
        blockPublicPolicy = v["BlockPublicPolicy"]?.boolValue ?? false
        restrictPublicBuckets = v["RestrictPublicBuckets"]?.boolValue ?? false
    }
}

extension S3Service {
    /// Block Public Access on writes: `BlockPublicAcls` refuses requests that set a public
    /// ACL, `BlockPublicPolicy` refuses a public bucket policy (with S3's message naming the
    /// setting). Checked before any body byte is read.
    func checkPublicAccessBlock(_ operation: String, _ input: Value, _ context: RequestContext) throws(AWSError) {
        let bucketName = input.str("Bucket") ?? ""
        switch operation {
        case "PutObject", "CopyObject", "CreateMultipartUpload", "PutObjectAcl", "PutBucketAcl":
            let grantsPublic = Self.isPublicACL(input.str("ACL"))
                || ["GrantRead", "GrantWrite", "GrantFullControl", "GrantReadACP", "GrantWriteACP"].contains {
                    (input.str($0) ?? "").contains("acs.amazonaws.com/groups/global/")
                }
                || (input["AccessControlPolicy"]?["Grants"]?.listValue ?? []).contains {
                    ($0["Grantee"]?.str("URI") ?? "").contains("acs.amazonaws.com/groups/global/")
                }
            guard grantsPublic else { return }
            let (block, ownership) = state.withLock { s in
                let b = s.buckets[bucketName]
                return (PublicAccessBlock(b?.config["PublicAccessBlock"]),
                        b?.config["Ownership"]?["Rules"]?.listValue?.first?.str("ObjectOwnership"))
            }
            // A bucket without ACLs answers AccessControlListNotSupported first (the handler).
            if block.blockPublicAcls, ownership != "BucketOwnerEnforced" { throw S3Errors.accessDenied() }
        case "PutBucketPolicy":
            guard let policy = input.str("Policy") else { return }
            let block = state.withLock { PublicAccessBlock($0.buckets[bucketName]?.config["PublicAccessBlock"]) }
            if block.blockPublicPolicy, Self.isPublicPolicy(policy) {
                throw AWSError(
                    code: "AccessDenied",
                    message: "User: \(context.principalArn) is not authorized to perform: s3:PutBucketPolicy on resource: \"\(Self.bucketArn(bucketName))\" because public policies are blocked by the BlockPublicPolicy block public access setting.",
                    status: 403)
            }
        default:
            return
        }
    }
}
