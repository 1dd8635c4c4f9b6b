import Foundation
import SimfraCore

extension LambdaService {
    static let servicePrincipal = "lambda.amazonaws.com"

    /// Variables Lambda sets itself; a function may not set them (AWS's list).
    static let reservedVariables: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]

    // MARK: Create

    func createFunction(_ input: Value, _ context: RequestContext) async throws -> Value {
        let name = input.string("FunctionName") ?? ""
        let ref = try FunctionReference.parse(name, qualifier: nil, context: context)
        guard ref.qualifier == nil, ref.key.accountId == context.accountId else { throw FunctionReference.invalidName(name) }
        let key = ref.key
        let partition = Self.partition(context)
        let packageType = input.string("PackageType") ?? "Zip"
        var config: Value = [
            "FunctionName": .string(key.name), "FunctionArn": .string(key.arn(partition: partition)),
            "Version": "$LATEST", "PackageType": .string(packageType), "Description": "", "MemorySize": 128,
            "Timeout": 3, "Architectures": ["x86_64"], "EphemeralStorage": ["Size": 512],
            "TracingConfig": ["Mode": "PassThrough"],
            "LoggingConfig": ["LogFormat": "Text", "LogGroup": .string("/aws/lambda/\(key.name)")],
            "SnapStart": ["ApplyOn": "None", "OptimizationStatus": "Off"],
        ]
        if let a = input["Architectures"] { config["Architectures"] = a }
        if let csc = input.string("CodeSigningConfigArn") {
            throw LambdaError.user("CodeSigningConfigNotFoundException", "The Lambda code signing configuration \(csc) can not be found.",
                                   status: 404)
        }
        try Self.apply(input, to: &config)
        let codeInput = input["Code"] ?? .empty
        if packageType == "Image" {
            guard let uri = codeInput.string("ImageUri") else {
                throw LambdaError.invalid("Please provide ImageUri when creating a function with packageType Image.")
            }
            config["CodeSha256"] = .string(CodeStore.digest(Array(uri.utf8)).base64)
            config["CodeSize"] = 0
            config["ImageUri"] = .string(uri)
            if let ic = input["ImageConfig"] { config["ImageConfigResponse"] = ["ImageConfig": ic] }
        } else {
            guard config.lambdaRuntime != nil, config.lambdaHandler != nil else {
                throw LambdaError.invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
            }
            let zip = try zipBytes(codeInput)
            config["CodeSha256"] = .string(try code.put(account: key.accountId, zip: zip))
            config["CodeSize"] = .integer(Int64(zip.count))
        }
        try await verifyRole(config.lambdaRole, context)
        config["LastModified"] = .string(timestamp())
        config["RevisionId"] = .string(Self.newRevision())
        config["State"] = "Active"
        config["LastUpdateStatus"] = "Successful"
        var f = LambdaFunction(key: key, latest: config)
        for (k, v) in input.stringMap("Tags") ?? [:] { f.tags[k] = v }
        let publish = input.bool("Publish") ?? false
        let created = f
        let (commit, answer) = try state.withLock { s throws(AWSError) -> (Commit, Value) in
            guard s.functions[key] == nil else { throw LambdaError.conflict("Function already exist: \(key.name)") }
            var f = created
            var answer = f.latest
            if publish { answer = Self.publish(&f, description: nil, partition: partition, revision: Self.newRevision()) }
            s.functions[key] = f
            return (persist(f), answer)
        }
        try await commit.wait()
        // The function is ready before this answer is sent; AWS's answer still reports the
        // creation as under way, as clients (and waiters) expect.
        var out = answer
        out["State"] = "Pending"
        out["StateReason"] = "The function is being created."
        out["StateReasonCode"] = "Creating"
        out["LastUpdateStatus"] = nil
        return out
    }

    /// The members CreateFunction and UpdateFunctionConfiguration share, applied to `config`.
    static func apply(_ input: Value, to config: inout Value) throws(AWSError) {
        for k in ["Description", "Handler", "Runtime", "Role", "MemorySize", "Timeout", "KMSKeyArn", "EphemeralStorage"] {
            if let v = input[k], !v.isNull { config[k] = v }
        }
        if let role = input.string("Role"), !isRoleArn(role) {
            throw LambdaError.validation(
                "1 validation error detected: Value '\(role)' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+")
        }
        if let env = input["Environment"] {
            let vars = env.stringMap("Variables") ?? [:]
            let reserved = vars.keys.filter { reservedVariables.contains($0) }.sorted()
            if !reserved.isEmpty {
                throw LambdaError.invalid(
                    "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: \(reserved.joined(separator: ", "))")
            }
            if vars.isEmpty {
                config["Environment"] = nil
            } else {
                config["Environment"] = .object(["Variables": .object(vars.mapValues { .string($0) })])
            }
        }
        if let mode = input["TracingConfig"]?.string("Mode") { config["TracingConfig"] = ["Mode": .string(mode)] }
        if let vpc = input["VpcConfig"] {
            let subnets = vpc.stringList("SubnetIds") ?? [], groups = vpc.stringList("SecurityGroupIds") ?? []
            if subnets.isEmpty && groups.isEmpty {
                config["VpcConfig"] = nil
            } else {
                config["VpcConfig"] = .object([
                    "SubnetIds": .list(subnets.map { .string($0) }), "SecurityGroupIds": .list(groups.map { .string($0) }),
                    "Ipv6AllowedForDualStack": .bool(vpc.bool("Ipv6AllowedForDualStack") ?? false),
                ])
            }
        }
        if let dlc = input["DeadLetterConfig"] {
            config["DeadLetterConfig"] = (dlc.string("TargetArn") ?? "").isEmpty ? nil : dlc
        }
        if let logging = input["LoggingConfig"]?.objectValue {
            var merged = config["LoggingConfig"]?.objectValue ?? [:]
            for (k, v) in logging { merged[k] = v }
            config["LoggingConfig"] = .object(merged)
        }
        if let layers = input.stringList("Layers"), let first = layers.first {
            // Layers are not stored yet, so no layer version exists to refer to.
            throw LambdaError.invalid("Layer version \(first) does not exist.")
        }
    }

    static func isRoleArn(_ s: String) -> Bool {
        let p = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return p.count == 6 && p[0] == "arn" && p[1].hasPrefix("aws") && p[2] == "iam" && p[3].isEmpty
            && p[4].count == 12 && p[4].allSatisfy(\.isNumber) && p[5].hasPrefix("role/") && p[5].count > 5
    }

    /// The zip a `Code`/UpdateFunctionCode input carries. Code in S3 cannot be read yet: S3's
    /// internal GetObject answers no body to another service.
    func zipBytes(_ input: Value) throws(AWSError) -> [UInt8] {
        if let zip = input.blob("ZipFile") {
            guard CodeStore.looksLikeZip(zip) else { throw LambdaError.badZip }
            return zip
        }
        if input.string("S3Bucket") != nil {
            throw LambdaError.invalid("Simfra cannot read function code from S3 yet: pass the zip as ZipFile.")
        }
        throw LambdaError.invalid("Please provide a source for function code.")
    }

    /// AWS checks that Lambda can assume the execution role: an STS AssumeRole as the Lambda
    /// service principal, which only the role's trust policy can allow.
    func verifyRole(_ role: String, _ context: RequestContext) async throws {
        do {
            _ = try await invoker.invoke(InternalCall(
                service: "sts", operation: "AssumeRole",
                input: ["RoleArn": .string(role), "RoleSessionName": "simfra-lambda-role-check"],
                onBehalfOf: context, via: nil, asService: Self.servicePrincipal))
        } catch let e as AWSError where e.status >= 500 {
            throw e
        } catch {
            throw LambdaError.roleNotAssumable
        }
    }

    // MARK: Read

    func getFunction(_ input: Value, _ context: RequestContext) throws -> Value {
        let ref = try reference(input, context)
        return try state.withLock { s throws(AWSError) -> Value in
            let f = try function(ref, context, in: s)
            guard let c = f.configuration(qualifier: ref.qualifier) else {
                throw LambdaError.functionNotFound(ref.key.arn(partition: Self.partition(context), qualifier: ref.qualifier))
            }
            var out: Value = ["Configuration": c]
            if let uri = c.string("ImageUri") {
                out["Code"] = ["RepositoryType": "ECR", "ImageUri": .string(uri)]
            } else {
                out["Code"] = ["RepositoryType": "S3"]
            }
            if !f.tags.isEmpty { out["Tags"] = .object(f.tags.mapValues { .string($0) }) }
            if let r = f.reservedConcurrency { out["Concurrency"] = .object(["ReservedConcurrentExecutions": .integer(Int64(r))]) }
            return out
        }
    }

    func listFunctions(_ input: Value, _ context: RequestContext) throws -> Value {
        let all = input.string("FunctionVersion") == "ALL"
        let items = state.withLock { s -> [(key: String, value: Value)] in
            var items: [(key: String, value: Value)] = []
            for (k, f) in s.functions where k.accountId == context.accountId && k.region == context.region {
                items.append((k.name, f.latest))
                if all {
                    for v in f.versions { items.append(("\(k.name):\(String(repeating: "0", count: 10 - min(10, v.lambdaVersion.count)))\(v.lambdaVersion)", v)) }
                }
            }
            return items.sorted { $0.key < $1.key }
        }
        let (page, next) = try Self.page(items, marker: input.string("Marker"), maxItems: input.int("MaxItems"))
        var out: Value = ["Functions": .list(page)]
        if let next { out["NextMarker"] = .string(next) }
        return out
    }

    // MARK: Delete

    func deleteFunction(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        let partition = Self.partition(context)
        let (commit, orphans) = try state.withLock { s throws(AWSError) -> (Commit, Set<String>) in
            var f = try function(ref, context, in: s)
            let before = f.codeHashes
            if let q = ref.qualifier, q != "$LATEST" {
                guard FunctionKey.isVersionNumber(q) else { throw LambdaError.invalid("Deletion of aliases is not currently supported.") }
                guard f.version(q) != nil else {
                    throw LambdaError.functionNotFound(ref.key.arn(partition: partition, qualifier: q))
                }
                if let alias = f.aliases.values.first(where: { $0.string("FunctionVersion") == q }) {
                    throw LambdaError.conflict(
                        "Unable to delete version because the following aliases reference it: [\(alias.string("Name") ?? "")]")
                }
                f.versions.removeAll { $0.lambdaVersion == q }
                f.policies[q] = nil
                s.functions[ref.key] = f
                return (persist(f), before.subtracting(f.codeHashes).subtracting(hashes(of: ref.key.accountId, in: s)))
            }
            if ref.qualifier == "$LATEST" {
                throw LambdaError.invalid("$LATEST version cannot be deleted without deleting the function.")
            }
            s.functions[ref.key] = nil
            let commit = records.delete(kind: FunctionRecord.kind, account: ref.key.accountId, region: ref.key.region, id: ref.key.name)
            return (commit, before.subtracting(hashes(of: ref.key.accountId, in: s)))
        }
        try await commit.wait()
        let prefix = ref.key.arn(partition: partition)
        stopEnvironments { $0 == prefix || $0.hasPrefix(prefix + ":") }
        for sha in orphans { code.remove(account: ref.key.accountId, sha256: sha) }
        return .empty
    }

    /// Zips still used by any function of the account (zips are shared by content).
    func hashes(of account: String, in s: State) -> Set<String> {
        var out = Set<String>()
        for (k, f) in s.functions where k.accountId == account { out.formUnion(f.codeHashes) }
        return out
    }

    // MARK: Update

    func updateFunctionCode(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        guard ref.qualifier == nil else { throw FunctionReference.invalidName(input.string("FunctionName") ?? "") }
        let partition = Self.partition(context)
        let current = try state.withLock { s throws(AWSError) in try function(ref, context, in: s).latest }
        let sha: String, size: Int64
        var imageUri: String?
        if current.string("PackageType") == "Image" {
            guard let uri = input.string("ImageUri") else {
                throw LambdaError.invalid("Please provide ImageUri when updating a function with packageType Image.")
            }
            imageUri = uri
            sha = CodeStore.digest(Array(uri.utf8)).base64
            size = 0
        } else {
            if input.string("ImageUri") != nil {
                throw LambdaError.invalid("Please don't provide ImageUri when updating a function with packageType Zip.")
            }
            let zip = try zipBytes(input)
            if input.bool("DryRun") == true {
                sha = CodeStore.digest(zip).base64
            } else {
                sha = try code.put(account: ref.key.accountId, zip: zip)
            }
            size = Int64(zip.count)
        }
        let modified = timestamp()
        if input.bool("DryRun") == true {
            var out = current
            out["CodeSha256"] = .string(sha)
            out["CodeSize"] = .integer(size)
            return out
        }
        let (commit, answer, orphan) = try state.withLock { s throws(AWSError) -> (Commit, Value, String?) in
            var f = try function(ref, context, in: s)
            if let r = input.string("RevisionId"), r != f.latest.string("RevisionId") { throw LambdaError.revisionMismatch() }
            let old = f.latest.lambdaCodeSha256
            f.latest["CodeSha256"] = .string(sha)
            f.latest["CodeSize"] = .integer(size)
            if let imageUri { f.latest["ImageUri"] = .string(imageUri) }
            if let a = input["Architectures"] { f.latest["Architectures"] = a }
            f.latest["LastModified"] = .string(modified)
            f.latest["RevisionId"] = .string(Self.newRevision())
            var answer = f.latest
            if input.bool("Publish") == true {
                answer = Self.publish(&f, description: nil, partition: partition, revision: Self.newRevision())
            }
            s.functions[ref.key] = f
            let unused = hashes(of: ref.key.accountId, in: s).contains(old) ? nil : old
            return (persist(f), answer, unused)
        }
        try await commit.wait()
        if let orphan { code.remove(account: ref.key.accountId, sha256: orphan) }
        return Self.updating(answer)
    }

    func updateFunctionConfiguration(_ input: Value, _ context: RequestContext) async throws -> Value {
        let ref = try reference(input, context)
        guard ref.qualifier == nil else { throw FunctionReference.invalidName(input.string("FunctionName") ?? "") }
        var draft = try state.withLock { s throws(AWSError) in try function(ref, context, in: s).latest }
        try Self.apply(input, to: &draft)
        if let role = input.string("Role") { try await verifyRole(role, context) }
        let modified = timestamp()
        let (commit, answer) = try state.withLock { s throws(AWSError) -> (Commit, Value) in
            var f = try function(ref, context, in: s)
            if let r = input.string("RevisionId"), r != f.latest.string("RevisionId") { throw LambdaError.revisionMismatch() }
            // Applied again to what is current now, so a concurrent code update is not undone.
            try Self.apply(input, to: &f.latest)
            f.latest["LastModified"] = .string(modified)
            f.latest["RevisionId"] = .string(Self.newRevision())
            s.functions[ref.key] = f
            return (persist(f), f.latest)
        }
        try await commit.wait()
        return Self.updating(answer)
    }

    /// The update is complete before the answer is sent; AWS's answer reports it in progress.
    static func updating(_ config: Value) -> Value {
        var out = config
        if out.lambdaVersion == "$LATEST" {
            out["LastUpdateStatus"] = "InProgress"
            out["LastUpdateStatusReason"] = "The function is being created."
            out["LastUpdateStatusReasonCode"] = "Creating"
        }
        return out
    }
}
