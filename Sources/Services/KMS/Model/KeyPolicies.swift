import SimfraCore

/// The key policies KMS writes itself, in the layout GetKeyPolicy returns them.
enum KeyPolicies {
    /// The default key policy of a key created without one: the account (and through it, IAM
    /// policies) may do everything.
    static func defaultPolicy(account: String) -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "key-default-1",
          "Statement" : [ {
            "Sid" : "Enable IAM User Permissions",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::\(account):root"
            },
            "Action" : "kms:*",
            "Resource" : "*"
          } ]
        }
        """
    }

    /// An AWS-managed key's policy: principals of the account may use the key only through
    /// the service (`kms:ViaService`), and the account may read its metadata directly.
    static func managedPolicy(account: String, region: String, service: ManagedKeyService) -> String {
        """
        {
          "Version" : "2012-10-17",
          "Id" : "auto-\(service.alias)-1",
          "Statement" : [ {
            "Sid" : "Allow access through \(service.display) for all principals in the account that are authorized to use \(service.display)",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "*"
            },
            "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
            "Resource" : "*",
            "Condition" : {
              "StringEquals" : {
                "kms:CallerAccount" : "\(account)",
                "kms:ViaService" : "\(service.endpoint).\(region).amazonaws.com"
              }
            }
          }, {
            "Sid" : "Allow direct access to key metadata to the account",
            "Effect" : "Allow",
            "Principal" : {
              "AWS" : "arn:aws:iam::\(account):root"
            },
            "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
            "Resource" : "*"
          } ]
        }
        """
    }
}

/// The services whose AWS-managed keys (`alias/aws/<alias>`) KMS creates on first use.
struct ManagedKeyService: Sendable {
    /// `alias/aws/<alias>`
    var alias: String
    /// The name in the key policy's statement ids.
    var display: String
    /// The service's endpoint prefix, for `kms:ViaService`.
    var endpoint: String
    /// What DescribeKey shows as the key's description.
    var description: String

    static let all: [String: ManagedKeyService] = {
        let list: [ManagedKeyService] = [
            .init(alias: "s3", display: "S3", endpoint: "s3",
                  description: "Default key that protects my S3 objects when no other key is defined"),
            .init(alias: "sqs", display: "SQS", endpoint: "sqs",
                  description: "Default key that protects my SQS messages when no other key is defined"),
            .init(alias: "secretsmanager", display: "AWS Secrets Manager", endpoint: "secretsmanager",
                  description: "Default key that protects my Secrets Manager data when no other key is defined"),
            .init(alias: "ssm", display: "AWS Systems Manager", endpoint: "ssm",
                  description: "Default key that protects my SSM parameters when no other key is defined"),
            .init(alias: "dynamodb", display: "Amazon DynamoDB", endpoint: "dynamodb",
                  description: "Default key that protects my DynamoDB data when no other key is defined"),
            .init(alias: "lambda", display: "AWS Lambda", endpoint: "lambda",
                  description: "Default key that protects my Lambda functions when no other key is defined"),
            .init(alias: "ebs", display: "EBS", endpoint: "ec2",
                  description: "Default key that protects my EBS volumes when no other key is defined"),
            .init(alias: "rds", display: "RDS", endpoint: "rds",
                  description: "Default key that protects my RDS database volumes when no other key is defined"),
            .init(alias: "sns", display: "SNS", endpoint: "sns",
                  description: "Default key that protects my SNS data when no other key is defined"),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ("alias/aws/" + $0.alias, $0) })
    }()
}

extension KMSService {
    /// Creates the AWS-managed key an `alias/aws/<service>` names, with its alias, when the
    /// alias is one KMS knows and does not exist yet; returns its key.
    func ensureManagedKey(_ st: inout KMSState, _ aref: AliasRef, _ writes: inout [DurableWrite]) -> KeyRef? {
        if let a = st.aliases[aref] { return KeyRef(account: aref.account, region: aref.region, keyId: a.targetKeyId) }
        guard let service = ManagedKeyService.all[aref.name] else { return nil }
        let now = clock.now()
        let ref = KeyRef(account: aref.account, region: aref.region, keyId: KMSIdentifiers.keyId())
        let key = KMSKey(
            ref: ref, created: now, description: service.description, keyUsage: "ENCRYPT_DECRYPT",
            keySpec: "SYMMETRIC_DEFAULT", origin: "AWS_KMS", manager: "AWS", state: .enabled,
            policy: KeyPolicies.managedPolicy(account: aref.account, region: aref.region, service: service),
            materials: [KeyMaterial(id: KMSIdentifiers.hex(64), bytes: KMSIdentifiers.randomBytes(32), created: now)],
            // AWS rotates AWS-managed keys every year, and says so.
            rotationEnabled: true, rotationPeriodInDays: 365, nextRotation: now + 365 * 86400)
        let alias = KMSAlias(ref: aref, targetKeyId: ref.keyId, created: now, updated: now)
        st.keys[ref] = key
        st.noteRotation(now + 365 * 86400)
        st.aliases[aref] = alias
        writes.append(keyWrite(key))
        writes.append(aliasWrite(alias))
        return ref
    }
}
