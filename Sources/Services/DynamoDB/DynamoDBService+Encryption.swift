import SimfraCore
import Synchronization

/// Encryption at rest with a KMS key (`SSESpecification` Enabled, SSEType KMS, optional
/// KMSMasterKeyId, else `alias/aws/dynamodb`).
///
/// CreateTable/UpdateTable check the key as DynamoDB does, as the caller via
/// `dynamodb.amazonaws.com`: DescribeKey resolves it to its ARN (and makes the AWS-managed
/// key on first use), GenerateDataKey makes the table's data key, kept as KMS's ciphertext
/// blob, and CreateGrant gives DynamoDB itself (`dynamodb.amazonaws.com`) the use of the key
/// for this table's encryption context (retired when the table goes or changes key).
/// Item operations have KMS decrypt the table key as the caller (forward access, as in AWS:
/// a caller without kms:Decrypt on a customer managed key is refused), at most once per
/// `kmsCheckInterval` per caller and table. DescribeTable checks as DynamoDB itself, through
/// its grant. When KMS says the key is disabled, pending deletion or gone (or the grant is
/// gone), the table is inaccessible (TableStatus INACCESSIBLE_ENCRYPTION_CREDENTIALS,
/// SSEDescription.InaccessibleEncryptionDateTime) until a check succeeds again.
final class TableKeyChecks: Sendable {
    private let fresh = Mutex<[String: Double]>([:])

    func isFresh(_ key: String, now: Double) -> Bool { fresh.withLock { ($0[key] ?? 0) > now } }

    func remember(_ key: String, until: Double) {
        fresh.withLock { f in
            if f.count > 10_000 { f = f.filter { $0.value > until - 3600 } }
            f[key] = until
        }
    }
}

extension DynamoDBService {
    /// The member `handle` adds to CreateTable/UpdateTable input once KMS has answered.
    static let resolvedSSEMember = "_SimfraResolvedSSE"

    static func resolvedSSE(_ input: Value) -> (arn: String, dataKey: [UInt8], grantId: String?)? {
        guard let r = input[resolvedSSEMember], let arn = r["arn"]?.stringValue, case .blob(let blob)? = r["dataKey"] else {
            return nil
        }
        return (arn, blob, r["grantId"]?.stringValue)
    }

    static let servicePrincipal = "dynamodb.amazonaws.com"
    static let grantOperations: [Value] = [
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
    ]

    static func kmsContext(table: String, account: String) -> Value {
        ["aws:dynamodb:tableName": .string(table), "aws:dynamodb:subscriberId": .string(account)]
    }

    /// CreateTable/UpdateTable asking for a KMS key: resolves and checks it, makes the table's
    /// data key, and hands both to the table operation in the input.
    func resolveSSE(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        guard let spec = input["SSESpecification"], spec["Enabled"]?.boolValue == true else { return input }
        if let type = spec["SSEType"]?.stringValue, type != "KMS" {
            throw DDBError.validation("One or more parameter values were invalid: SSEType \(type) is not supported")
        }
        let name = Self.tableName(input["TableName"])
        let keyId = spec["KMSMasterKeyId"]?.stringValue ?? "alias/aws/dynamodb"
        let arn: String
        let blob: [UInt8]
        var grantId: String?
        do {
            let described = try await invoker.invoke(InternalCall(
                service: "kms", operation: "DescribeKey", input: ["KeyId": .string(keyId)], onBehalfOf: ctx,
                via: "dynamodb.amazonaws.com"))
            let meta = described["KeyMetadata"]
            guard let a = meta?["Arn"]?.stringValue else { throw AWSError.internalFailure("KMS described no key") }
            if meta?["KeyState"]?.stringValue != "Enabled" {
                throw DDBError.validation("KMSMasterKeyId \(a) is \(meta?["KeyState"]?.stringValue?.lowercased() ?? "not enabled")")
            }
            if meta?["KeySpec"]?.stringValue.map({ $0 != "SYMMETRIC_DEFAULT" }) == true {
                throw DDBError.validation("KMSMasterKeyId \(a) is not a symmetric encryption key")
            }
            arn = a
            let out = try await invoker.invoke(InternalCall(
                service: "kms", operation: "GenerateDataKey",
                input: ["KeyId": .string(arn), "KeySpec": "AES_256",
                        "EncryptionContext": Self.kmsContext(table: name, account: ctx.accountId)],
                onBehalfOf: ctx, via: "dynamodb.amazonaws.com"))
            guard case .blob(let b)? = out["CiphertextBlob"] else { throw AWSError.internalFailure("KMS returned no data key") }
            blob = b
            let grant = try await invoker.invoke(InternalCall(
                service: "kms", operation: "CreateGrant",
                input: ["KeyId": .string(arn), "GranteePrincipal": .string(Self.servicePrincipal),
                        "RetiringPrincipal": .string(Self.servicePrincipal), "Operations": .list(Self.grantOperations),
                        "Constraints": ["EncryptionContextSubset": Self.kmsContext(table: name, account: ctx.accountId)]],
                onBehalfOf: ctx, via: "dynamodb.amazonaws.com"))
            grantId = grant["GrantId"]?.stringValue
        } catch let e as AWSError where e.code != "ValidationException" {
            throw Self.kmsError(e, ctx)
        }
        var i = input
        i[Self.resolvedSSEMember] = ["arn": .string(arn), "dataKey": .blob(blob)]
        if let grantId { i[Self.resolvedSSEMember]?["grantId"] = .string(grantId) }
        return i
    }

    /// DynamoDB gives up its grant on a key it no longer uses (the table is deleted or moved
    /// to another key). A failure leaves the grant in place, as it would in AWS.
    func retireGrant(keyArn: String?, grantId: String?, tableArn: String, _ ctx: RequestContext) async {
        guard let keyArn, let grantId else { return }
        _ = try? await invoker.invoke(InternalCall(
            service: "kms", operation: "RetireGrant", input: ["KeyId": .string(keyArn), "GrantId": .string(grantId)],
            onBehalfOf: ctx, via: nil, asService: Self.servicePrincipal, sourceArn: tableArn))
    }

    /// DescribeTable's check, as DynamoDB itself through its grant: any refusal means DynamoDB
    /// cannot use the key, so the table is inaccessible; success clears that.
    func probeTableKey(_ input: Value, _ ctx: RequestContext) async {
        let name = Self.tableName(input["TableName"])
        let key = Self.tableKey(ctx.accountId, ctx.region, name)
        let found: (blob: [UInt8], arn: String)? = state.withLock { s in
            guard let t = s.tables[key], t.kmsKeyArn != nil, let blob = t.kmsDataKey else { return nil }
            return (blob, t.arn)
        }
        guard let found else { return }
        let now = clock.now()
        let cacheKey = "\(Self.servicePrincipal)|\(key)|\(Base64.encode(found.blob))"
        if kmsChecks.isFresh(cacheKey, now: now) { return }
        do {
            _ = try await invoker.invoke(InternalCall(
                service: "kms", operation: "Decrypt",
                input: ["CiphertextBlob": .blob(found.blob), "EncryptionContext": Self.kmsContext(table: name, account: ctx.accountId)],
                onBehalfOf: ctx, via: nil, asService: Self.servicePrincipal, sourceArn: found.arn))
        } catch let e as AWSError where e.status < 500 {
            setInaccessible(key, since: now)
            return
        } catch {
            return
        }
        kmsChecks.remember(cacheKey, until: now + kmsCheckInterval)
        setInaccessible(key, since: nil)
    }

    /// The tables an item operation touches (PartiQL: the table each statement names).
    static func tablesTouched(_ op: String, _ input: Value) -> [String] {
        switch op {
        case "PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan":
            return [tableName(input["TableName"])]
        case "BatchGetItem", "BatchWriteItem":
            return (input["RequestItems"]?.objectValue ?? [:]).keys.map { tableName(.string($0)) }
        case "TransactWriteItems", "TransactGetItems":
            var names: [String] = []
            for item in input["TransactItems"]?.listValue ?? [] {
                for kind in ["Put", "Update", "Delete", "ConditionCheck", "Get"] {
                    if let n = item[kind]?["TableName"] { names.append(tableName(n)) }
                }
            }
            return names
        case "ExecuteStatement":
            return [(try? PartiQLTranslator.tableName(input["Statement"]?.stringValue ?? "")) ?? ""]
        case "BatchExecuteStatement", "ExecuteTransaction":
            let list = input[op == "ExecuteTransaction" ? "TransactStatements" : "Statements"]?.listValue ?? []
            return list.compactMap { try? PartiQLTranslator.tableName($0["Statement"]?.stringValue ?? "") }
        default:
            return []
        }
    }

    /// Before an item operation: each KMS-encrypted table it touches must have a usable key.
    func checkTableKeys(_ op: String, _ input: Value, _ ctx: RequestContext) async throws {
        let names = Set(Self.tablesTouched(op, input))
        guard !names.isEmpty else { return }
        let keyed: [(key: String, name: String, blob: [UInt8])] = state.withLock { s in
            names.compactMap { n in
                let k = Self.tableKey(ctx.accountId, ctx.region, n)
                guard let t = s.tables[k], t.kmsKeyArn != nil, let blob = t.kmsDataKey else { return nil }
                return (k, n, blob)
            }
        }
        for t in keyed {
            let now = clock.now()
            let cacheKey = "\(ctx.principalArn)|\(t.key)|\(Base64.encode(t.blob))"
            if kmsChecks.isFresh(cacheKey, now: now) { continue }
            do {
                _ = try await invoker.invoke(InternalCall(
                    service: "kms", operation: "Decrypt",
                    input: ["CiphertextBlob": .blob(t.blob), "EncryptionContext": Self.kmsContext(table: t.name, account: ctx.accountId)],
                    onBehalfOf: ctx, via: "dynamodb.amazonaws.com"))
            } catch let e as AWSError {
                if ["DisabledException", "KMSInvalidStateException", "NotFoundException"].contains(e.code) {
                    setInaccessible(t.key, since: now)
                }
                throw Self.kmsError(e, ctx)
            }
            kmsChecks.remember(cacheKey, until: now + kmsCheckInterval)
            setInaccessible(t.key, since: nil)
        }
    }

    func setInaccessible(_ key: String, since: Double?) {
        state.withLock { s in
            guard var t = s.tables[key] else { return }
            if since == nil && t.inaccessibleSince == nil { return }
            if since != nil && t.inaccessibleSince != nil { return }
            t.inaccessibleSince = since
            s.tables[key] = t
        }
    }

    /// KMS's refusal as DynamoDB words it: AccessDeniedException, "KMS key access denied
    /// error:" and the Java SDK's rendering of KMS's exception.
    static func kmsError(_ error: AWSError, _ ctx: RequestContext) -> AWSError {
        if error.status >= 500 { return error }
        let message = "KMS key access denied error: com.amazonaws.services.kms.model.\(error.code): \(error.message) (Service: AWSKMS; Status Code: 400; Error Code: \(error.code); Request ID: \(ctx.requestId); Proxy: null)"
        return AWSError(code: "AccessDeniedException", message: message, status: 400)
    }
}
