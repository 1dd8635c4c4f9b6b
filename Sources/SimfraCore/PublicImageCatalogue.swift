/// The public Amazon machine images every account can see: the Amazon Linux images whose
/// ids SSM publishes under `/aws/service/ami-amazon-linux-latest/…` and which EC2's
/// DescribeImages lists (owner `amazon`). One catalogue, so an id read from SSM is an id EC2
/// knows and `aws ec2 run-instances --image-id resolve:ssm:/aws/service/…` lands on one image.
///
/// Ids are realistic (`ami-` + 17 hex digits), differ per region as in AWS, and are stable
/// across restarts and machines: they derive from the region and image name by a fixed hash,
/// never from randomness.
public enum PublicImageCatalogue {
    public struct Image: Sendable, Equatable {
        /// The SSM parameter's last path segment (`al2023-ami-kernel-default-x86_64`).
        public var alias: String
        /// `ami-` + 17 hex digits, specific to the region.
        public var imageId: String
        /// The AMI name as DescribeImages reports it.
        public var name: String
        public var description: String
        /// `x86_64` or `arm64`.
        public var architecture: String
        /// `Linux/UNIX`.
        public var platformDetails: String
        public var rootDeviceName: String
        /// `2025-01-08T20:12:04.000Z`.
        public var creationDate: String
        /// Amazon's public image owner (`137112412989`), alias `amazon`.
        public var ownerId: String
    }

    /// Amazon's owner id for Amazon Linux images.
    public static let amazonOwnerId = "137112412989"

    /// The images of a region, in a fixed order.
    public static func images(region: String) -> [Image] {
        templates.map { t in
            Image(alias: t.alias, imageId: imageId(region: region, alias: t.alias), name: t.name,
                  description: t.description, architecture: t.arch, platformDetails: "Linux/UNIX",
                  rootDeviceName: t.root, creationDate: t.created, ownerId: amazonOwnerId)
        }
    }

    /// The image published as `/aws/service/ami-amazon-linux-latest/<alias>`, if any.
    public static func image(region: String, alias: String) -> Image? {
        images(region: region).first { $0.alias == alias }
    }

    /// The region's image with this id.
    public static func image(region: String, imageId id: String) -> Image? {
        images(region: region).first { $0.imageId == id }
    }

    /// `ami-` + 17 lower-case hex digits from two FNV-1a passes over region and alias.
    static func imageId(region: String, alias: String) -> String {
        let bytes = Array("\(region)/\(alias)".utf8)
        func fnv(_ seed: UInt64) -> UInt64 {
            var h = seed
            for b in bytes {
                h ^= UInt64(b)
                h &*= 0x100_0000_01b3
            }
            return h
        }
        let a = fnv(0xcbf2_9ce4_8422_2325)
        let b = fnv(0x8422_2325_cbf2_9ce4)
        let hex = Hex.encode(withUnsafeBytes(of: a.bigEndian) { Array($0) } + withUnsafeBytes(of: b.bigEndian) { Array($0) })
        return "ami-0" + hex.prefix(16)
    }

    private struct Template {
        var alias, name, description, arch, root, created: String
    }

    private static func al2023(_ variant: String, _ kernel: String, _ arch: String, minimal: Bool) -> Template {
        let kind = minimal ? "al2023-ami-minimal" : "al2023-ami"
        return Template(
            alias: "\(kind)-kernel-\(variant)-\(arch)", name: "\(kind)-2023.6.20250107.0-kernel-\(kernel)-\(arch)",
            description: "Amazon Linux 2023 \(minimal ? "minimal " : "")AMI 2023.6.20250107.0 \(arch) HVM kernel-\(kernel)",
            arch: arch, root: "/dev/xvda", created: "2025-01-08T20:12:04.000Z")
    }

    private static func amzn2(_ alias: String, _ name: String, _ arch: String) -> Template {
        Template(alias: alias, name: name, description: "Amazon Linux 2 AMI 2.0.20250108.0 \(arch) HVM gp2",
                 arch: arch, root: "/dev/xvda", created: "2025-01-09T01:33:51.000Z")
    }

    private static let templates: [Template] = [
        al2023("default", "6.1", "x86_64", minimal: false),
        al2023("default", "6.1", "arm64", minimal: false),
        al2023("6.1", "6.1", "x86_64", minimal: false),
        al2023("6.1", "6.1", "arm64", minimal: false),
        al2023("default", "6.1", "x86_64", minimal: true),
        al2023("default", "6.1", "arm64", minimal: true),
        al2023("6.1", "6.1", "x86_64", minimal: true),
        al2023("6.1", "6.1", "arm64", minimal: true),
        amzn2("amzn2-ami-hvm-x86_64-gp2", "amzn2-ami-hvm-2.0.20250108.0-x86_64-gp2", "x86_64"),
        amzn2("amzn2-ami-hvm-arm64-gp2", "amzn2-ami-hvm-2.0.20250108.0-arm64-gp2", "arm64"),
        amzn2("amzn2-ami-kernel-5.10-hvm-x86_64-gp2", "amzn2-ami-kernel-5.10-hvm-2.0.20250108.0-x86_64-gp2", "x86_64"),
        amzn2("amzn2-ami-kernel-5.10-hvm-arm64-gp2", "amzn2-ami-kernel-5.10-hvm-2.0.20250108.0-arm64-gp2", "arm64"),
    ]
}
