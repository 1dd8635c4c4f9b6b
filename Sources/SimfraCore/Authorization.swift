/// What one operation needs authorised, as a service's action table computes it from the
/// decoded input: the IAM action, the resource ARN(s) it acts on and the service condition
/// keys (`s3:prefix`, `dynamodb:LeadingKeys`, `aws:RequestTag/…`). The dispatcher's
/// authoriser evaluates every requirement after decoding and before the handler runs, so no
/// handler can forget it.
public struct ActionRequirement: Sendable {
    /// `service:Action` as IAM names it (`s3:GetObject`).
    public var action: String
    /// The ARNs acted on; empty for actions without resource-level permissions (`*`).
    /// Several ARNs (a batch touching several tables) must each be allowed.
    public var resources: [String]
    /// Service and request condition keys, keys lower-cased (`s3:prefix` → ["photos/"]).
    public var conditionKeys: [String: [String]]
    /// The call creates the resource it names (CreateBucket): whoever owns a resource of that
    /// name already is the handler's business (`BucketAlreadyExists`), not the authoriser's.
    public var createsResource: Bool

    public init(action: String, resources: [String] = [], conditionKeys: [String: [String]] = [:],
                createsResource: Bool = false)
    {
        self.action = action
        self.resources = resources
        self.conditionKeys = conditionKeys
        self.createsResource = createsResource
    }
}

/// A service whose operations are authorised by IAM. Each service keeps the mapping in one
/// declarative table (`<Service>Actions.swift`), not scattered through handlers.
public protocol AuthorizingService: AWSService {
    /// The requirements of one call; `nil` for operations AWS lets every signed caller make
    /// (`sts:GetCallerIdentity`). An empty array is never returned for an implemented
    /// operation: every operation names at least one action.
    func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]?
}

/// A resource-based policy the engine must consider (bucket policy, queue policy, role trust
/// policy, key policy), as the owning service stores it.
public struct ResourcePolicyDocument: Sendable {
    /// The policy JSON as stored (the authoriser parses and caches it by content).
    public var document: String
    /// The account that owns the resource (cross-account calls need both sides to allow).
    public var ownerAccount: String
    /// A role's trust policy: it must allow even within one account, and it is validated as
    /// a trust policy.
    public var isTrustPolicy: Bool
    /// Further documents evaluated as part of the same resource side: the statements an S3
    /// bucket's or object's ACL amounts to (`public-read` → anyone may `s3:GetObject`).
    public var additionalDocuments: [String]
    /// The policy must allow even within one account, as a KMS key policy must: a statement
    /// naming the account (`arn:aws:iam::<acct>:root`) only delegates to IAM policies, and a
    /// key policy that does not name the account locks IAM policies (and the root) out.
    /// Always true for a trust policy. KMS grants ride in `additionalDocuments` as statements
    /// naming the grantee, which allow on their own.
    public var mustAllow: Bool

    /// `document` may be empty when only `additionalDocuments` apply (an ACL, no policy).
    public init(document: String, ownerAccount: String, isTrustPolicy: Bool = false, additionalDocuments: [String] = [],
                mustAllow: Bool = false)
    {
        self.document = document
        self.ownerAccount = ownerAccount
        self.isTrustPolicy = isTrustPolicy
        self.additionalDocuments = additionalDocuments
        self.mustAllow = mustAllow || isTrustPolicy
    }
}

/// A service that owns resource-based policies hands them to the authoriser here.
public protocol ResourcePolicyService: AuthorizingService {
    /// The policy governing `resource` (an object ARN resolves to its bucket's policy), or nil
    /// when it has none. `ownerAccount` of the resource is reported even without a policy
    /// through `resourceOwner`.
    func resourcePolicy(forResource arn: String, context: RequestContext) -> ResourcePolicyDocument?
    /// The account owning `resource`, when the service knows it (S3 bucket names are global).
    func resourceOwner(forResource arn: String, context: RequestContext) -> String?
    /// The resource's tags, for `aws:ResourceTag/<key>` conditions; nil when it has none.
    func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]?
}

extension ResourcePolicyService {
    public func resourceOwner(forResource arn: String, context: RequestContext) -> String? { nil }
    public func resourceTags(forResource arn: String, context: RequestContext) -> [String: String]? { nil }
}

/// State kept per account, wiped by the admin API (`DELETE /_simfra/accounts/{id}` and
/// `POST /_simfra/accounts/{id}/reset`): every resource of the account in every region,
/// durable records and S3 bodies included, awaited until durable.
public protocol AccountScopedService: AWSService {
    func removeAccount(_ accountId: String) async throws
}

extension ActionRequirement {
    /// `aws:RequestTag/<key>` and `aws:TagKeys` of the tags a request sets, in request order
    /// (keys lower-cased, as `conditionKeys` wants them; values as sent).
    public static func requestTagKeys(_ tags: some Sequence<(key: String, value: String)>) -> [String: [String]] {
        var keys: [String: [String]] = [:]
        var names: [String] = []
        for (k, v) in tags {
            keys["aws:requesttag/" + k.lowercased()] = [v]
            names.append(k)
        }
        if !names.isEmpty { keys["aws:tagkeys"] = names }
        return keys
    }

    /// The same, from the `[{"Key": …, "Value": …}]` list most APIs take (a missing value is "").
    public static func requestTagKeys(list: [Value]?) -> [String: [String]] {
        requestTagKeys((list ?? []).compactMap { t in
            t["Key"]?.stringValue.map { (key: $0, value: t["Value"]?.stringValue ?? "") }
        })
    }
}
