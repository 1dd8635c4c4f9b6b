import SimfraCore

/// S3's errors with their exact codes, statuses, messages and extra elements.
enum S3Errors {
    static func noSuchBucket(_ bucket: String) -> AWSError {
        AWSError(code: "NoSuchBucket", message: "The specified bucket does not exist", status: 404,
                 extra: ["BucketName": .string(bucket)])
    }

    static func noSuchKey(_ key: String) -> AWSError {
        AWSError(code: "NoSuchKey", message: "The specified key does not exist.", status: 404, extra: ["Key": .string(key)])
    }

    static func noSuchVersion(_ key: String, _ versionId: String) -> AWSError {
        AWSError(code: "NoSuchVersion", message: "The specified version does not exist.", status: 404,
                 extra: ["Key": .string(key), "VersionId": .string(versionId)])
    }

    static func invalidVersionId(_ versionId: String) -> AWSError {
        invalidArgument("Invalid version id specified", name: "versionId", value: versionId)
    }

    static func noSuchUpload(_ uploadId: String) -> AWSError {
        AWSError(code: "NoSuchUpload",
                 message: "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                 status: 404, extra: ["UploadId": .string(uploadId)])
    }

    static func invalidBucketName(_ bucket: String) -> AWSError {
        AWSError(code: "InvalidBucketName", message: "The specified bucket is not valid.", status: 400,
                 extra: ["BucketName": .string(bucket)])
    }

    static func bucketNotEmpty(_ bucket: String) -> AWSError {
        AWSError(code: "BucketNotEmpty", message: "The bucket you tried to delete is not empty", status: 409,
                 extra: ["BucketName": .string(bucket)])
    }

    static func alreadyOwnedByYou(_ bucket: String) -> AWSError {
        AWSError(code: "BucketAlreadyOwnedByYou",
                 message: "Your previous request to create the named bucket succeeded and you already own it.", status: 409,
                 extra: ["BucketName": .string(bucket)])
    }

    static func alreadyExists(_ bucket: String) -> AWSError {
        AWSError(code: "BucketAlreadyExists",
                 message: "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
                 status: 409, extra: ["BucketName": .string(bucket)])
    }

    static func keyTooLong(_ size: Int) -> AWSError {
        AWSError(code: "KeyTooLongError", message: "Your key is too long", status: 400,
                 extra: ["Size": .integer(Int64(size)), "MaxSizeAllowed": 1024])
    }

    static func invalidRange(_ range: String, size: Int64) -> AWSError {
        AWSError(code: "InvalidRange", message: "The requested range is not satisfiable", status: 416,
                 extra: ["RangeRequested": .string(range), "ActualObjectSize": .integer(size)],
                 headers: [("Content-Range", "bytes */\(size)")])
    }

    static func preconditionFailed(_ condition: String) -> AWSError {
        AWSError(code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold",
                 status: 412, extra: ["Condition": .string(condition)])
    }

    static func malformedXML() -> AWSError {
        AWSError(code: "MalformedXML",
                 message: "The XML you provided was not well-formed or did not validate against our published schema",
                 status: 400)
    }

    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> AWSError {
        var extra: [String: Value] = [:]
        if let name { extra["ArgumentName"] = .string(name) }
        if let value { extra["ArgumentValue"] = .string(value) }
        return AWSError(code: "InvalidArgument", message: message, status: 400, extra: extra)
    }

    static func invalidRequest(_ message: String) -> AWSError {
        AWSError(code: "InvalidRequest", message: message, status: 400)
    }

    static func entityTooLarge(_ proposed: Int64, max: Int64) -> AWSError {
        AWSError(code: "EntityTooLarge", message: "Your proposed upload exceeds the maximum allowed size", status: 400,
                 extra: ["ProposedSize": .integer(proposed), "MaxSizeAllowed": .integer(max)])
    }

    /// The message as S3 sends it (no final period; AWS's error table adds one).
    static func metadataTooLarge(_ size: Int, max: Int) -> AWSError {
        AWSError(code: "MetadataTooLarge", message: "Your metadata headers exceed the maximum allowed metadata size", status: 400,
                 extra: ["Size": .integer(Int64(size)), "MaxSizeAllowed": .integer(Int64(max))])
    }

    static func badDigest(_ algorithm: String) -> AWSError {
        AWSError(code: "BadDigest", message: "The \(algorithm) you specified did not match the calculated checksum.", status: 400)
    }

    static func badContentMD5() -> AWSError {
        AWSError(code: "BadDigest", message: "The Content-MD5 you specified did not match what we received.", status: 400)
    }

    static func invalidDigest() -> AWSError {
        AWSError(code: "InvalidDigest", message: "The Content-MD5 you specified was not valid.", status: 400)
    }

    static func accessDenied() -> AWSError {
        AWSError(code: "AccessDenied", message: "Access Denied", status: 403)
    }

    static func methodNotAllowed(_ method: String, resource: String, headers: [(String, String)] = []) -> AWSError {
        AWSError(code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.", status: 405,
                 extra: ["Method": .string(method), "ResourceType": .string(resource)], headers: headers)
    }

    /// S3 names the offending tag in the error (`TagKey`, and `TagValue` for a bad value).
    static func invalidTag(_ message: String, key: String? = nil, value: String? = nil) -> AWSError {
        var extra: [String: Value] = [:]
        if let key { extra["TagKey"] = .string(key) }
        if let value { extra["TagValue"] = .string(value) }
        return AWSError(code: "InvalidTag", message: message, status: 400, extra: extra)
    }

    static func notFound(_ code: String, _ message: String, bucket: String) -> AWSError {
        AWSError(code: code, message: message, status: 404, extra: ["BucketName": .string(bucket)])
    }

    static func internalError(_ what: String) -> AWSError {
        AWSError(code: "InternalError", message: "We encountered an internal error. Please try again. (\(what))", status: 500)
    }
}
