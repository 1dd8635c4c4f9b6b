import Foundation
import SimfraCore

/// An export of a group's events to S3 (kind `exportTask`, id = task id).
struct ExportTask: Codable, Sendable {
    var id: String
    var name: String?
    var logGroupName: String
    var from: Int64
    var to: Int64
    var destination: String
    var destinationPrefix: String
    var status: String
    var message: String?
    var creationTime: Int64
    var completionTime: Int64?
}

extension LogsService {
    /// AWS's export docs grant the regional principal (`logs.us-east-1.amazonaws.com`) in the
    /// bucket policy, so that is who writes: a policy copied from them works here.
    static func exportPrincipal(_ region: String) -> String { "logs.\(region).amazonaws.com" }

    /// Checks the bucket as AWS does (GetBucketAcl as the Logs service principal), then
    /// writes one gzip object per stream, `<prefix>/<taskId>/<stream>/000000.gz`, each line
    /// `<ISO-8601 timestamp> <message>`, through S3 PutObject as the same principal: the
    /// bucket policy must allow `logs.<region>.amazonaws.com`. The export runs before the answer, so
    /// the task is COMPLETED (or FAILED with S3's reason) when it is first described.
    func createExportTask(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        let group = input.string("logGroupName") ?? "", bucket = input.string("destination") ?? ""
        let from = input["from"]?.intValue ?? 0, to = input["to"]?.intValue ?? 0
        if to < from { throw LogsError.invalidParameter("The specified time range is invalid: 'to' must be after 'from'.") }
        let prefix = input.string("destinationPrefix") ?? "exportedlogs"
        let streamPrefix = input.string("logStreamNamePrefix")
        let snapshot = try withGroup(ctx, group) { gs -> [(String, [LogEvent])] in
            gs.events.filter { streamPrefix == nil || $0.key.hasPrefix(streamPrefix!) }
                .map { ($0.key, $0.value.filter { $0.timestamp >= from && $0.timestamp <= to }) }
                .filter { !$0.1.isEmpty }.sorted { $0.0 < $1.0 }
        }
        let groupArn = "arn:aws:logs:\(ctx.region):\(ctx.accountId):log-group:\(group)"
        do {
            _ = try await invoker.invoke(InternalCall(service: "s3", operation: "GetBucketAcl", input: ["Bucket": .string(bucket)],
                                                      onBehalfOf: ctx, via: nil, asService: Self.exportPrincipal(ctx.region), sourceArn: groupArn))
        } catch let e as AWSError where e.code == "NoSuchBucket" {
            throw LogsError.invalidParameter("The given bucket does not exist. Please make sure the bucket is valid.")
        } catch let e as AWSError where e.code == "AccessDenied" || e.code == "AccessDeniedException" {
            // The authoriser refuses the service principal before S3 can say the bucket is
            // missing; AWS's Logs knows either way. Asking as the caller tells it only what
            // the caller could learn itself.
            do {
                _ = try await invoker.invoke(InternalCall(service: "s3", operation: "GetBucketAcl", input: ["Bucket": .string(bucket)],
                                                          onBehalfOf: ctx, via: nil))
            } catch let e as AWSError where e.code == "NoSuchBucket" {
                throw LogsError.invalidParameter("The given bucket does not exist. Please make sure the bucket is valid.")
            } catch {}
            throw LogsError.invalidParameter(
                "GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted permission to perform this operation.")
        }
        var task = ExportTask(id: UUID().uuidString.lowercased(), name: input.string("taskName"), logGroupName: group, from: from, to: to,
                              destination: bucket, destinationPrefix: prefix, status: "COMPLETED", message: nil,
                              creationTime: nowMillis, completionTime: nil)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for (stream, events) in snapshot {
            var text = ""
            for e in events {
                text += iso.string(from: Date(timeIntervalSince1970: Double(e.timestamp) / 1000)) + " " + e.message + "\n"
            }
            guard let body = GzipWriter.compress(Array(text.utf8)) else {
                task.status = "FAILED"; task.message = "Compression failed"; break
            }
            let key = (prefix.isEmpty ? "" : prefix + "/") + "\(task.id)/\(stream)/000000.gz"
            do {
                _ = try await invoker.invoke(InternalCall(
                    service: "s3", operation: "PutObject",
                    input: ["Bucket": .string(bucket), "Key": .string(key), "Body": .blob(body), "ContentType": "application/octet-stream",
                            "ContentEncoding": "gzip"],
                    onBehalfOf: ctx, via: nil, asService: Self.exportPrincipal(ctx.region), sourceArn: groupArn))
            } catch {
                task.status = "FAILED"
                task.message = (error as? AWSError).map { "\($0.code): \($0.message)" } ?? "\(error)"
                break
            }
        }
        if task.status == "COMPLETED" { task.message = "Completed successfully" }
        task.completionTime = nowMillis
        let t = task
        let commit = state.withLock { st -> Commit in
            st.exportTasks[Self.key(ctx), default: [:]][t.id] = t
            return records.put(kind: LogsRecord.exportTask, account: ctx.accountId, region: ctx.region, id: t.id, data: LogsRecord.encode(t))
        }
        try await commit.wait()
        return ["taskId": .string(t.id)]
    }

    func describeExportTasks(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let id = input.string("taskId"), code = input.string("statusCode")
        let limit = try Self.limit(input, default: 50, max: 50)
        let items = state.withLock { st in
            (st.exportTasks[Self.key(ctx)] ?? [:]).values.filter { (id == nil || $0.id == id) && (code == nil || $0.status == code) }
                .sorted { $0.creationTime > $1.creationTime }
        }
        let start: Int
        if let t = try Self.untoken(input.string("nextToken")) {
            guard let n = Int(t), n >= 0, n <= items.count else { throw LogsError.invalidToken() }
            start = n
        } else {
            start = 0
        }
        let page = items[start..<min(items.count, start + limit)].map { t -> Value in
            var o: [String: Value] = ["taskId": .string(t.id), "logGroupName": .string(t.logGroupName), "from": .integer(t.from),
                                      "to": .integer(t.to), "destination": .string(t.destination),
                                      "destinationPrefix": .string(t.destinationPrefix)]
            if let n = t.name { o["taskName"] = .string(n) }
            var status: [String: Value] = ["code": .string(t.status)]
            if let m = t.message { status["message"] = .string(m) }
            o["status"] = .object(status)
            var exec: [String: Value] = ["creationTime": .integer(t.creationTime)]
            if let c = t.completionTime { exec["completionTime"] = .integer(c) }
            o["executionInfo"] = .object(exec)
            return .object(o)
        }
        var out: [String: Value] = ["exportTasks": .list(page)]
        if start + limit < items.count { out["nextToken"] = .string(Self.token(String(start + limit))) }
        return .object(out)
    }

    /// Exports finish before CreateExportTask answers, so there is never one to cancel.
    func cancelExportTask(_ input: Value, _ ctx: RequestContext) throws -> Value {
        let id = input.string("taskId") ?? ""
        guard let t = state.withLock({ $0.exportTasks[Self.key(ctx)]?[id] }) else {
            throw AWSError(code: "ResourceNotFoundException", message: "The specified export task does not exist.")
        }
        throw AWSError(code: "InvalidOperationException", message: "The export task can not be cancelled in \(t.status) state.")
    }
}
