import SimfraCore

/// A log group's settings (its streams and filters are kept beside it in `LogsState`).
/// Times are milliseconds since the epoch, as the Logs API speaks them.
struct LogGroup: Codable, Sendable {
    var name: String
    var account: String
    var region: String
    var creationTime: Int64
    var retentionInDays: Int?
    var kmsKeyId: String?
    var logGroupClass: String
    var deletionProtection: Bool
    var tags: [String: String]
    /// The data protection policy document, stored (Simfra does not mask events).
    var dataProtectionPolicy: String?
    var dataProtectionUpdated: Int64?

    /// `arn:aws:logs:<r>:<a>:log-group:<name>` (AWS reports `arn` with `:*` appended).
    var arn: String { "arn:aws:logs:\(region):\(account):log-group:\(name)" }
}

/// A stream's metadata; its events live in `StreamEvents`.
struct LogStream: Codable, Sendable {
    var name: String
    var creationTime: Int64
    var firstEventTimestamp: Int64?
    var lastEventTimestamp: Int64?
    var lastIngestionTime: Int64?
    var storedBytes: Int64 = 0
    /// The number the next PutLogEvents batch record gets.
    var nextBatch: Int = 0
}

/// One stored event. `batch` names the durable record that holds it, so expiry can drop a
/// record once none of its events remain.
struct LogEvent: Sendable {
    var timestamp: Int64
    var ingestionTime: Int64
    var message: String
    var batch: Int
    /// Ingestion order within the stream, to keep equal timestamps in arrival order and to
    /// make stable event ids.
    var sequence: Int64
}

struct MetricTransformation: Codable, Sendable {
    var metricName: String
    var metricNamespace: String
    var metricValue: String
    var defaultValue: Double?
    var dimensions: [String: String]?
    var unit: String?
}

struct MetricFilter: Codable, Sendable {
    var name: String
    var logGroupName: String
    var pattern: String
    var transformations: [MetricTransformation]
    var creationTime: Int64
}

struct SubscriptionFilter: Codable, Sendable {
    var name: String
    var logGroupName: String
    var pattern: String
    var destinationArn: String
    var roleArn: String?
    var distribution: String
    var creationTime: Int64
}

struct LogsResourcePolicy: Codable, Sendable {
    var name: String
    var document: String
    var lastUpdatedTime: Int64
    var revisionId: String
}

struct LogsDestination: Codable, Sendable {
    var name: String
    var targetArn: String
    var roleArn: String
    var accessPolicy: String?
    var creationTime: Int64
    var tags: [String: String]
}
