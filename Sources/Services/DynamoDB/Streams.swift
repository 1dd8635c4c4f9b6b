import SimfraCore

/// One table stream's records (kept in memory: stream records are transient, like AWS's
/// 24-hour retention window they would not survive a restart usefully anyway).
struct StreamLog: Sendable {
    var arn: String
    var tableName: String
    var label: String
    var viewType: String
    var created: Double
    var hash: String
    var range: String?
    var enabled = true
    /// (sequence number, record) in order.
    var records: [(Int, Value)] = []

    var shardId: String {
        let digits = String(label.filter(\.isNumber).prefix(14))
        return "shardId-" + digits + "-00000001"
    }
}

func sequenceString(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 21 - s.count)) + s
}

extension DynamoDBService {
    /// Registers the stream of a table whose StreamSpecification was just enabled.
    static func openStream(_ s: inout DynamoDBService.State, _ t: Table) {
        guard t.streamEnabled, let label = t.streamLabel else { return }
        let arn = "\(t.arn)/stream/\(label)"
        if s.streams[arn] == nil {
            s.streams[arn] = StreamLog(
                arn: arn, tableName: t.name, label: label, viewType: t.streamViewType ?? "NEW_AND_OLD_IMAGES",
                created: t.created, hash: t.hash, range: t.range)
        }
    }

    static func closeStreams(_ s: inout DynamoDBService.State, tableArn: String) {
        for (k, v) in s.streams where v.arn.hasPrefix(tableArn + "/stream/") { s.streams[k]!.enabled = false }
    }

    /// Appends the stream record of one item change, when the table has a stream.
    static func emit(_ s: inout DynamoDBService.State, _ tkey: String, old: Item?, new: Item?, now: Double, byTTL: Bool = false) {
        guard let t = s.tables[tkey], t.streamEnabled, let label = t.streamLabel else { return }
        if old == nil && new == nil { return }
        if let old, let new, old == new { return }
        let arn = "\(t.arn)/stream/\(label)"
        guard s.streams[arn] != nil else { return }
        s.streamSeq += 1
        let seq = s.streamSeq
        let any = (new ?? old)!
        let view = t.streamViewType ?? "NEW_AND_OLD_IMAGES"
        var d: Value = [
            "ApproximateCreationDateTime": .timestamp(now.rounded(.down)),
            "Keys": ItemCodec.value(t.keyItem(any)),
            "SequenceNumber": .string(sequenceString(seq)),
            "SizeBytes": .integer(Int64(ItemCodec.size(any))),
            "StreamViewType": .string(view),
        ]
        if let new, view == "NEW_IMAGE" || view == "NEW_AND_OLD_IMAGES" { d["NewImage"] = ItemCodec.value(new) }
        if let old, view == "OLD_IMAGE" || view == "NEW_AND_OLD_IMAGES" { d["OldImage"] = ItemCodec.value(old) }
        var r: Value = [
            "eventID": .string(uuid().replacingOccurrences(of: "-", with: "")),
            "eventName": .string(old == nil ? "INSERT" : new == nil ? "REMOVE" : "MODIFY"),
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": .string(t.region),
            "dynamodb": d,
        ]
        if byTTL { r["userIdentity"] = ["Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"] }
        s.streams[arn]!.records.append((seq, r))
        // Keep the log bounded (AWS trims after 24 hours).
        if s.streams[arn]!.records.count > 100_000 { s.streams[arn]!.records.removeFirst(10_000) }
    }
}

/// Amazon DynamoDB Streams (`dynamodbstreams`), reading the stream logs of a
/// `DynamoDBService`.
public final class DynamoDBStreamsService: AWSService, Sendable {
    public let serviceName = "dynamodbstreams"
    public let implementedOperations: Set<String> = ["ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"]
    let ddb: DynamoDBService

    public init(dynamodb: DynamoDBService) { self.ddb = dynamodb }

    /// The shard ids a DescribeStream page lists: shard ids sort in creation order, so a page
    /// starting after `start` holds the ones after it.
    static func shardsAfter(_ start: String?, _ shardId: String) -> [String] {
        guard let start else { return [shardId] }
        return shardId > start ? [shardId] : []
    }

    static func notFound(_ arn: String) -> AWSError {
        DDBError.notFound("Requested resource not found: Stream: \(arn) not found")
    }

    public func handle(operation: String, input: Value, context: RequestContext) async throws -> Value {
        let prefix = "arn:aws:dynamodb:\(context.region):\(context.accountId):table/"
        return try ddb.state.withLock { s -> Value in
            switch operation {
            case "ListStreams":
                let table = input["TableName"]?.stringValue
                var list = s.streams.values.filter { $0.arn.hasPrefix(prefix) && (table == nil || $0.tableName == table) }
                list.sort { $0.arn < $1.arn }
                if let start = input["ExclusiveStartStreamArn"]?.stringValue { list = list.filter { $0.arn > start } }
                let limit = max(1, Int(input["Limit"]?.intValue ?? 100))
                var out: Value = ["Streams": .list(list.prefix(limit).map {
                    ["StreamArn": .string($0.arn), "TableName": .string($0.tableName), "StreamLabel": .string($0.label)]
                })]
                if list.count > limit { out["LastEvaluatedStreamArn"] = .string(list[limit - 1].arn) }
                return out
            case "DescribeStream":
                let arn = input["StreamArn"]?.stringValue ?? ""
                guard let log = s.streams[arn] else { throw Self.notFound(arn) }
                var range: Value = ["StartingSequenceNumber": .string(sequenceString(log.records.first?.0 ?? s.streamSeq + 1))]
                if !log.enabled, let last = log.records.last { range["EndingSequenceNumber"] = .string(sequenceString(last.0)) }
                var keys: [Value] = [["AttributeName": .string(log.hash), "KeyType": "HASH"]]
                if let r = log.range { keys.append(["AttributeName": .string(r), "KeyType": "RANGE"]) }
                return ["StreamDescription": [
                    "StreamArn": .string(arn), "StreamLabel": .string(log.label),
                    "StreamStatus": .string(log.enabled ? "ENABLED" : "DISABLED"),
                    "StreamViewType": .string(log.viewType), "CreationRequestDateTime": .timestamp(log.created),
                    "TableName": .string(log.tableName), "KeySchema": .list(keys),
                    // Readers page shards with ExclusiveStartShardId until no LastEvaluatedShardId
                    // comes back: past the stream's one shard the list is empty, or they loop.
                    "Shards": .list(Self.shardsAfter(input["ExclusiveStartShardId"]?.stringValue, log.shardId).map { _ in
                        ["ShardId": .string(log.shardId), "SequenceNumberRange": range]
                    }),
                ]]
            case "GetShardIterator":
                let arn = input["StreamArn"]?.stringValue ?? ""
                guard let log = s.streams[arn] else { throw Self.notFound(arn) }
                let shard = input["ShardId"]?.stringValue ?? ""
                guard shard == log.shardId else {
                    throw DDBError.notFound("Requested resource not found: Shard: \(shard) in Stream: \(arn) not found")
                }
                let seq = Int(input["SequenceNumber"]?.stringValue ?? "")
                let position: Int
                switch input["ShardIteratorType"]?.stringValue ?? "" {
                case "TRIM_HORIZON": position = 0
                case "LATEST": position = s.streamSeq + 1
                case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
                    guard let seq else {
                        throw DDBError.validation("Sequence number must be specified for ShardIteratorType: \(input["ShardIteratorType"]?.stringValue ?? "")")
                    }
                    position = input["ShardIteratorType"]?.stringValue == "AT_SEQUENCE_NUMBER" ? seq : seq + 1
                default: throw DDBError.validation("Invalid ShardIteratorType")
                }
                return ["ShardIterator": .string(Base64.encode(Array("\(arn)|\(shard)|\(position)".utf8)))]
            case "GetRecords":
                let it = input["ShardIterator"]?.stringValue ?? ""
                let parts = String(decoding: Base64.decode(it) ?? [], as: UTF8.self).split(separator: "|").map(String.init)
                guard parts.count == 3, let position = Int(parts[2]) else {
                    throw DDBError.validation("Invalid ShardIterator")
                }
                guard let log = s.streams[parts[0]] else { throw Self.notFound(parts[0]) }
                let limit = max(1, Int(input["Limit"]?.intValue ?? 1000))
                let recs = log.records.filter { $0.0 >= position }.prefix(limit)
                let next = (recs.last?.0).map { $0 + 1 } ?? max(position, (log.records.last?.0 ?? 0) + 1)
                var out: Value = ["Records": .list(recs.map(\.1))]
                if log.enabled || recs.count == limit {
                    out["NextShardIterator"] = .string(Base64.encode(Array("\(parts[0])|\(parts[1])|\(next)".utf8)))
                }
                return out
            default:
                throw AWSError.notImplemented(service: serviceName, operation: operation)
            }
        }
    }
}
