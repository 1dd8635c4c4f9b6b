import SimfraCore

/// S3's IAM table: action, bucket or object ARN and condition keys per operation, as the
/// Service Authorization Reference lists them (deleting a bucket's configuration needs its
/// Put action; versioned reads need the `…Version` action; CopyObject reads its source).
extension S3Service {
    /// Operations whose action is the bucket's own, with their IAM action names.
    private static let bucketActions: [String: String] = [
        "CreateBucket": "s3:CreateBucket", "HeadBucket": "s3:ListBucket", "DeleteBucket": "s3:DeleteBucket",
        "GetBucketLocation": "s3:GetBucketLocation",
        "ListObjects": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
        "ListMultipartUploads": "s3:ListBucketMultipartUploads",
        "PutBucketVersioning": "s3:PutBucketVersioning", "GetBucketVersioning": "s3:GetBucketVersioning",
        "PutBucketTagging": "s3:PutBucketTagging", "GetBucketTagging": "s3:GetBucketTagging",
        "DeleteBucketTagging": "s3:PutBucketTagging",
        "PutBucketPolicy": "s3:PutBucketPolicy", "GetBucketPolicy": "s3:GetBucketPolicy",
        "DeleteBucketPolicy": "s3:DeleteBucketPolicy", "GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
        "PutBucketCors": "s3:PutBucketCORS", "GetBucketCors": "s3:GetBucketCORS", "DeleteBucketCors": "s3:PutBucketCORS",
        "PutBucketAcl": "s3:PutBucketAcl", "GetBucketAcl": "s3:GetBucketAcl",
        "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
        "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
        "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
        "PutBucketEncryption": "s3:PutEncryptionConfiguration", "GetBucketEncryption": "s3:GetEncryptionConfiguration",
        "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
        "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
        "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
        "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
        "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
        "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
        "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock", "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
        "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    ]

    /// Object operations: (action, action when a VersionId is given).
    private static let objectActions: [String: (String, String)] = [
        "PutObject": ("s3:PutObject", "s3:PutObject"),
        "GetObject": ("s3:GetObject", "s3:GetObjectVersion"),
        "HeadObject": ("s3:GetObject", "s3:GetObjectVersion"),
        "DeleteObject": ("s3:DeleteObject", "s3:DeleteObjectVersion"),
        "GetObjectAttributes": ("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
        "PutObjectTagging": ("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
        "GetObjectTagging": ("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
        "DeleteObjectTagging": ("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
        "PutObjectAcl": ("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
        "GetObjectAcl": ("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
        "CreateMultipartUpload": ("s3:PutObject", "s3:PutObject"),
        "UploadPart": ("s3:PutObject", "s3:PutObject"),
        "CompleteMultipartUpload": ("s3:PutObject", "s3:PutObject"),
        "AbortMultipartUpload": ("s3:AbortMultipartUpload", "s3:AbortMultipartUpload"),
        "ListParts": ("s3:ListMultipartUploadParts", "s3:ListMultipartUploadParts"),
        "CopyObject": ("s3:PutObject", "s3:PutObject"),
        "UploadPartCopy": ("s3:PutObject", "s3:PutObject"),
    ]

    public func authorization(operation: String, input: Value, context: RequestContext) -> [ActionRequirement]? {
        if operation == "ListBuckets" { return [ActionRequirement(action: "s3:ListAllMyBuckets")] }
        let bucket = input.str("Bucket") ?? ""
        if let action = Self.bucketActions[operation] {
            var keys: [String: [String]] = [:]
            if operation.hasPrefix("ListObjects") || operation == "ListObjectVersions" {
                if let p = input.str("Prefix") { keys["s3:prefix"] = [p] }
                if let d = input.str("Delimiter") { keys["s3:delimiter"] = [d] }
                if let m = input["MaxKeys"]?.intValue { keys["s3:max-keys"] = [String(m)] }
            }
            if let acl = input.str("ACL"), operation == "CreateBucket" || operation == "PutBucketAcl" { keys["s3:x-amz-acl"] = [acl] }
            return [ActionRequirement(action: action, resources: [Self.bucketArn(bucket)], conditionKeys: keys,
                                      createsResource: operation == "CreateBucket")]
        }
        if operation == "DeleteObjects" {
            // Each key is authorised as its own DeleteObject (DeleteObjectVersion with a version).
            let objects = input["Delete"]?["Objects"]?.listValue ?? []
            var plain: [String] = []
            var versioned: [String] = []
            for o in objects {
                let arn = Self.objectArn(bucket, o.str("Key") ?? "")
                if o.str("VersionId") != nil { versioned.append(arn) } else { plain.append(arn) }
            }
            var reqs: [ActionRequirement] = []
            if !plain.isEmpty || versioned.isEmpty { reqs.append(ActionRequirement(action: "s3:DeleteObject", resources: plain.isEmpty ? [Self.bucketArn(bucket) + "/*"] : plain)) }
            if !versioned.isEmpty { reqs.append(ActionRequirement(action: "s3:DeleteObjectVersion", resources: versioned)) }
            return reqs
        }
        guard let (plain, versioned) = Self.objectActions[operation] else {
            return [ActionRequirement(action: "s3:" + operation, resources: [Self.bucketArn(bucket)])]
        }
        let versionId = input.str("VersionId")
        var keys: [String: [String]] = [:]
        if let v = versionId { keys["s3:versionid"] = [v] }
        if let acl = input.str("ACL") { keys["s3:x-amz-acl"] = [acl] }
        if let sse = input.str("ServerSideEncryption") { keys["s3:x-amz-server-side-encryption"] = [sse] }
        if let kms = input.str("SSEKMSKeyId") { keys["s3:x-amz-server-side-encryption-aws-kms-key-id"] = [kms] }
        if let alg = input.str("SSECustomerAlgorithm") { keys["s3:x-amz-server-side-encryption-customer-algorithm"] = [alg] }
        let object = Self.objectArn(bucket, input.str("Key") ?? "")
        var reqs = [ActionRequirement(action: versionId == nil ? plain : versioned, resources: [object], conditionKeys: keys)]
        if operation == "PutObject" || operation == "CopyObject" || operation == "CreateMultipartUpload", input.str("ACL") != nil {
            // Setting an ACL on write needs the ACL permission too.
            reqs.append(ActionRequirement(action: "s3:PutObjectAcl", resources: [object], conditionKeys: keys))
        }
        if operation == "CopyObject" || operation == "UploadPartCopy",
            let source = try? Self.parseCopySource(input.str("CopySource") ?? "")
        {
            reqs.append(ActionRequirement(
                action: source.versionId == nil ? "s3:GetObject" : "s3:GetObjectVersion",
                resources: [Self.objectArn(source.bucket, source.key)]))
        }
        return reqs
    }

    static func bucketArn(_ bucket: String) -> String { "arn:aws:s3:::" + bucket }
    static func objectArn(_ bucket: String, _ key: String) -> String { "arn:aws:s3:::" + bucket + "/" + key }
}
