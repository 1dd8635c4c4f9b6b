import SimfraCore

struct RegionKey: Hashable, Sendable {
    var account: String
    var region: String
}

/// Everything of one log group: settings, streams with their events, filters.
struct GroupState: Sendable {
    var group: LogGroup
    var streams: [String: LogStream] = [:]
    /// Per stream, events sorted by (timestamp, sequence).
    var events: [String: [LogEvent]] = [:]
    /// Per stream, how many live events each batch record still holds.
    var batchCounts: [String: [Int: Int]] = [:]
    var metricFilters: [String: MetricFilter] = [:]
    var subscriptionFilters: [String: SubscriptionFilter] = [:]
    var nextSequence: Int64 = 0
}

/// A delivery to a subscription filter's destination that could not be made (Lambda,
/// Kinesis and Firehose do not exist in Simfra yet). Transient, as AWS's retries are.
struct FailedDelivery: Sendable {
    var account: String
    var logGroupName: String
    var filterName: String
    var destinationArn: String
    var eventCount: Int
    var reason: String
}

struct LogsState: Sendable {
    var groups: [RegionKey: [String: GroupState]] = [:]
    var policies: [RegionKey: [String: LogsResourcePolicy]] = [:]
    var destinations: [RegionKey: [String: LogsDestination]] = [:]
    var exportTasks: [RegionKey: [String: ExportTask]] = [:]
}
