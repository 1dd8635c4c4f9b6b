import SimfraCore
import Synchronization

/// The public parameters AWS publishes under `/aws/service/…` in every region, readable by
/// every account with GetParameter(s) and GetParametersByPath and never listed by
/// DescribeParameters:
///
/// - `/aws/service/ami-amazon-linux-latest/<image>`: the region's Amazon Linux AMI ids, from
///   `PublicImageCatalogue` (the ids EC2 serves).
/// - `/aws/service/global-infrastructure/regions/<region>` (and `/longName`, `/domain`,
///   `/partition`, `/geolocationCountry`, `/geolocationRegion`, `/services/<service>`) and
///   `/aws/service/global-infrastructure/services/<service>` (and `/longName`).
enum PublicParameters {
    /// Public parameters carry no account and a fixed modification date.
    static let published = 1_736_380_800.0  // 2025-01-09T00:00:00Z

    static let regions: [(code: String, name: String, country: String, geo: String)] = [
        ("us-east-1", "US East (N. Virginia)", "US", "US-VA"),
        ("us-east-2", "US East (Ohio)", "US", "US-OH"),
        ("us-west-1", "US West (N. California)", "US", "US-CA"),
        ("us-west-2", "US West (Oregon)", "US", "US-OR"),
        ("af-south-1", "Africa (Cape Town)", "ZA", "ZA-WC"),
        ("ap-east-1", "Asia Pacific (Hong Kong)", "HK", "HK"),
        ("ap-south-1", "Asia Pacific (Mumbai)", "IN", "IN-MH"),
        ("ap-northeast-1", "Asia Pacific (Tokyo)", "JP", "JP-13"),
        ("ap-northeast-2", "Asia Pacific (Seoul)", "KR", "KR-11"),
        ("ap-northeast-3", "Asia Pacific (Osaka)", "JP", "JP-27"),
        ("ap-southeast-1", "Asia Pacific (Singapore)", "SG", "SG"),
        ("ap-southeast-2", "Asia Pacific (Sydney)", "AU", "AU-NSW"),
        ("ca-central-1", "Canada (Central)", "CA", "CA-QC"),
        ("eu-central-1", "Europe (Frankfurt)", "DE", "DE-HE"),
        ("eu-north-1", "Europe (Stockholm)", "SE", "SE-AB"),
        ("eu-south-1", "Europe (Milan)", "IT", "IT-MI"),
        ("eu-west-1", "Europe (Ireland)", "IE", "IE-D"),
        ("eu-west-2", "Europe (London)", "GB", "GB-ENG"),
        ("eu-west-3", "Europe (Paris)", "FR", "FR-IDF"),
        ("me-south-1", "Middle East (Bahrain)", "BH", "BH"),
        ("sa-east-1", "South America (Sao Paulo)", "BR", "BR-SP"),
    ]

    static let services: [(code: String, name: String)] = [
        ("acm", "AWS Certificate Manager"), ("apigateway", "Amazon API Gateway"),
        ("cloudformation", "AWS CloudFormation"), ("cloudwatch", "Amazon CloudWatch"),
        ("cognito-idp", "Amazon Cognito"), ("dynamodb", "Amazon DynamoDB"), ("ec2", "Amazon Elastic Compute Cloud (EC2)"),
        ("ecr", "Amazon Elastic Container Registry (ECR)"), ("ecs", "Amazon Elastic Container Service (ECS)"),
        ("eks", "Amazon Elastic Kubernetes Service (EKS)"), ("elb", "Elastic Load Balancing"),
        ("events", "Amazon EventBridge"), ("firehose", "Amazon Data Firehose"), ("iam", "AWS Identity and Access Management (IAM)"),
        ("kinesis", "Amazon Kinesis Data Streams"), ("kms", "AWS Key Management Service"), ("lambda", "AWS Lambda"),
        ("logs", "Amazon CloudWatch Logs"), ("rds", "Amazon Relational Database Service (RDS)"),
        ("route53", "Amazon Route 53"), ("s3", "Amazon Simple Storage Service (S3)"),
        ("secretsmanager", "AWS Secrets Manager"), ("ses", "Amazon Simple Email Service (SES)"),
        ("sns", "Amazon Simple Notification Service (SNS)"), ("sqs", "Amazon Simple Queue Service (SQS)"),
        ("ssm", "AWS Systems Manager"), ("states", "AWS Step Functions"), ("sts", "AWS Security Token Service"),
    ]

    /// Name → value for a region, built once per region.
    private final class Cache: Sendable {
        let tables = Mutex<[String: [(String, String)]]>([:])
    }
    private static let cache = Cache()

    static func table(region: String) -> [(String, String)] {
        if let t = cache.tables.withLock({ $0[region] }) { return t }
        var t: [(String, String)] = []
        for image in PublicImageCatalogue.images(region: region) {
            t.append(("/aws/service/ami-amazon-linux-latest/\(image.alias)", image.imageId))
        }
        let infra = "/aws/service/global-infrastructure"
        for r in regions {
            let base = "\(infra)/regions/\(r.code)"
            t.append((base, r.code))
            t.append((base + "/longName", r.name))
            t.append((base + "/domain", "amazonaws.com"))
            t.append((base + "/partition", "aws"))
            t.append((base + "/geolocationCountry", r.country))
            t.append((base + "/geolocationRegion", r.geo))
            for s in services { t.append((base + "/services/\(s.code)", s.code)) }
        }
        for s in services {
            t.append(("\(infra)/services/\(s.code)", s.code))
            t.append(("\(infra)/services/\(s.code)/longName", s.name))
        }
        t.sort { $0.0 < $1.0 }
        cache.tables.withLock { $0[region] = t }
        return t
    }

    static func make(_ name: String, _ value: String) -> SSMParameter {
        SSMParameter(
            name: name,
            versions: [ParameterVersion(
                version: 1, type: "String", value: value, description: nil, allowedPattern: nil, keyId: nil,
                tier: "Standard", policiesText: nil, policies: [], dataType: "text", labels: [],
                lastModified: published, lastModifiedUser: "", envelope: false, expiresAt: nil)],
            tags: [])
    }

    static func parameter(_ name: String, region: String) -> SSMParameter? {
        let t = table(region: region)
        var lo = 0
        var hi = t.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if t[mid].0 < name { lo = mid + 1 } else { hi = mid }
        }
        guard lo < t.count, t[lo].0 == name else { return nil }
        return make(name, t[lo].1)
    }

    /// Every public parameter under a path prefix (ending in `/`), in name order.
    static func all(region: String, under prefix: String) -> [SSMParameter] {
        table(region: region).filter { $0.0.hasPrefix(prefix) }.map { make($0.0, $0.1) }
    }
}
