// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Simfra",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "simfra", targets: ["simfra"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // TLS for the calls Simfra makes out (SNS HTTPS subscriptions, API destinations, OAuth
        // token endpoints). swift-crypto's BoringSSL has no libssl, so this is the one TLS stack.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // Hardware CRC32/CRC32C/CRC64NVME (carry-less multiply) for S3's flexible checksums.
        .target(name: "CChecksums", path: "Sources/CChecksums"),
        .target(name: "SimfraCore", swiftSettings: strict),
        .target(name: "SimfraModels", swiftSettings: strict),
        .target(
            name: "SimfraPersistence",
            dependencies: ["CSQLite", "SimfraCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "SimfraProtocols",
            dependencies: [
                "SimfraCore", "SimfraModels", "CZlib", "CChecksums",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // What the event services share and no single one owns: EventBridge event patterns and
        // SNS filter policies (one matcher, two dialects), and schedule expressions
        // (rate/cron/at with time zones) for EventBridge scheduled rules and Scheduler.
        // HTTPDelivery (SNS HTTP/S subscriptions, API destinations, OAuth token endpoints) is a small NIO client.
        .target(
            name: "SimfraEventing",
            dependencies: [
                "SimfraCore", "SimfraProtocols", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        // Pure IAM policy evaluation (no I/O), shared by enforcement and IAM's Simulate* APIs.
        .target(name: "SimfraPolicy", dependencies: ["SimfraCore"], swiftSettings: strict),
        .target(
            name: "SimfraSTS",
            dependencies: [
                "SimfraCore", "SimfraPolicy", "SimfraProtocols", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Services/STS", swiftSettings: strict),
        .target(
            name: "SimfraIAM",
            dependencies: [
                "SimfraCore", "SimfraPolicy", "SimfraProtocols", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Services/IAM", swiftSettings: strict),
        .target(
            name: "SimfraDynamoDB", dependencies: ["SimfraCore"],
            path: "Sources/Services/DynamoDB", swiftSettings: strict),
        .target(
            name: "SimfraSQS",
            dependencies: ["SimfraCore", "SimfraPolicy", "SimfraProtocols", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Services/SQS", swiftSettings: strict),
        .target(
            name: "SimfraSSM",
            dependencies: ["SimfraCore", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Services/SSM", swiftSettings: strict),
        .target(
            name: "SimfraS3",
            dependencies: [
                "SimfraCore", "SimfraPersistence", "SimfraProtocols", "SimfraPolicy",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Services/S3", swiftSettings: strict),
        .target(
            name: "SimfraSecretsManager",
            dependencies: ["SimfraCore", "SimfraPolicy", "SimfraProtocols", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Services/SecretsManager", swiftSettings: strict),
        .target(
            name: "SimfraKMS",
            dependencies: [
                "SimfraCore", "SimfraPolicy", "SimfraProtocols", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Services/KMS", swiftSettings: strict),
        .target(
            name: "SimfraSNS",
            dependencies: [
                "SimfraCore", "SimfraProtocols", "SimfraEventing", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Services/SNS", swiftSettings: strict),
        .target(
            name: "SimfraScheduler", dependencies: ["SimfraCore", "SimfraEventing", "SimfraProtocols"],
            path: "Sources/Services/Scheduler", swiftSettings: strict),
        .target(
            name: "SimfraLambda",
            dependencies: [
                "SimfraCore", "SimfraProtocols", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Services/Lambda", swiftSettings: strict),
        .target(name: "SimfraCloudWatch", dependencies: ["SimfraCore", "CZlib"], path: "Sources/Services/CloudWatch", swiftSettings: strict),
        .target(
            name: "SimfraEvents",
            dependencies: [
                "SimfraCore", "SimfraProtocols", "SimfraEventing", .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Services/EventBridge", swiftSettings: strict),
        .target(
            name: "SimfraLogs", dependencies: ["SimfraCore", "SimfraProtocols", "CZlib"],
            path: "Sources/Services/Logs", swiftSettings: strict),
        .target(
            name: "SimfraServer",
            dependencies: [
                "SimfraCore", "SimfraModels", "SimfraProtocols", "SimfraPersistence", "SimfraPolicy", "SimfraEventing", "SimfraSTS", "SimfraIAM", "SimfraDynamoDB", "SimfraSQS", "SimfraS3", "SimfraKMS", "SimfraSSM", "SimfraSecretsManager", "SimfraSNS", "SimfraScheduler", "SimfraEvents", "SimfraLogs", "SimfraCloudWatch", "SimfraLambda",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Linked against the shared Swift runtime on purpose: NIO becomes the concurrency
        // executor through a runtime symbol a static runtime hides (--static-swift-stdlib
        // saves 6 MB of RSS but costs 50% more CPU per request at one connection).
        .executableTarget(name: "simfra", dependencies: ["SimfraServer", "SimfraCore", "SimfraPersistence"], swiftSettings: strict),
        // What unit tests of stateful services share: a hand-moved clock, in-memory records.
        .target(name: "SimfraTestSupport", dependencies: ["SimfraCore"], path: "Tests/SimfraTestSupport", swiftSettings: strict),
        .testTarget(
            name: "SimfraPersistenceTests",
            dependencies: ["SimfraPersistence", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .testTarget(name: "SimfraDynamoDBTests", dependencies: ["SimfraDynamoDB", "SimfraCore"], swiftSettings: strict),
        .testTarget(
            name: "SimfraIAMTests", dependencies: ["SimfraIAM", "SimfraPolicy", "SimfraCore"], swiftSettings: strict),
        .testTarget(
            name: "SimfraSecretsManagerTests", dependencies: ["SimfraSecretsManager", "SimfraCore", "SimfraTestSupport"], swiftSettings: strict),
        .testTarget(name: "SimfraSSMTests", dependencies: ["SimfraSSM", "SimfraCore", "SimfraTestSupport"], swiftSettings: strict),
        .testTarget(name: "SimfraLogsTests", dependencies: ["SimfraLogs", "SimfraCore", "SimfraTestSupport"], swiftSettings: strict),
        .testTarget(name: "SimfraEventsTests", dependencies: ["SimfraEvents", "SimfraCore", "SimfraTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SimfraSNSTests",
            dependencies: [
                "SimfraSNS", "SimfraCore", "SimfraTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .testTarget(name: "SimfraSQSTests", dependencies: ["SimfraSQS", "SimfraCore", "SimfraTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SimfraS3Tests",
            dependencies: [
                "SimfraS3", "SimfraCore", "SimfraPersistence", "SimfraTestSupport", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SimfraSTSTests", dependencies: ["SimfraSTS", "SimfraPolicy", "SimfraCore"], swiftSettings: strict),
        .testTarget(
            name: "SimfraKMSTests",
            dependencies: [
                "SimfraKMS", "SimfraCore", "SimfraPolicy", "SimfraProtocols", "SimfraServer", "SimfraIAM", "SimfraTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SimfraSchedulerTests", dependencies: ["SimfraScheduler", "SimfraCore", "SimfraEventing", "SimfraTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "SimfraLambdaTests", dependencies: ["SimfraLambda", "SimfraCore", "SimfraTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "SimfraCloudWatchTests", dependencies: ["SimfraCloudWatch", "SimfraCore", "SimfraTestSupport"],
            swiftSettings: strict),
        .testTarget(name: "SimfraPolicyTests", dependencies: ["SimfraPolicy", "SimfraCore"], swiftSettings: strict),
        .testTarget(name: "SimfraCoreTests", dependencies: ["SimfraCore"], swiftSettings: strict),
        .testTarget(
            name: "SimfraEventingTests", dependencies: ["SimfraEventing", "SimfraCore", "SimfraProtocols"],
            swiftSettings: strict),
        .testTarget(
            name: "SimfraProtocolsTests",
            dependencies: ["SimfraProtocols", "SimfraModels", "SimfraCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict),
        .testTarget(
            name: "SimfraServerTests",
            dependencies: [
                "SimfraServer", "SimfraCore", "SimfraProtocols", "SimfraPolicy",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
    ]
)
