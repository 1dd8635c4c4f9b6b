import SimfraCore

/// Every error SQS answers, with AWS's wording.
///
/// `code` is what the JSON protocol puts in `__type`: the model's error shape name for
/// modelled errors (`QueueDoesNotExist`), or AWS's JSON name for the unmodelled ones
/// (`InvalidParameterValueException`). `queryCode` is the awsQuery code, which the codec
/// sends in `<Code>` and in `x-amzn-query-error` (boto3 then reports it as `Error.Code`
/// and keeps `code` as `Error.QueryErrorCode`). The query codes are those of the
/// awsQuery-era model (botocore 1.34.22) and of AWS's recorded responses.
enum SQSError {
    private static func make(_ code: String, _ queryCode: String, _ message: String, status: Int = 400) -> AWSError {
        AWSError(code: code, message: message, status: status, senderFault: true, queryCode: queryCode)
    }

    // MARK: Modelled errors

    static func queueDoesNotExist() -> AWSError {
        make("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    }

    static func queueNameExists(attribute: String) -> AWSError {
        make("QueueNameExists", "QueueAlreadyExists",
             "A queue already exists with the same name and a different value for attribute \(attribute)")
    }

    static func queueDeletedRecently() -> AWSError {
        make("QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently",
             "You must wait 60 seconds after deleting a queue before you can create another with the same name.")
    }

    static func purgeQueueInProgress(queueName: String) -> AWSError {
        make("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
             "Only one PurgeQueue operation on \(queueName) is allowed every 60 seconds.", status: 403)
    }

    static func tooManyEntriesInBatchRequest(_ n: Int) -> AWSError {
        make("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
             "Maximum number of entries per request are 10. You have sent \(n).")
    }

    /// `entryName` is the request entry shape, e.g. `SendMessageBatchRequestEntry`.
    static func emptyBatchRequest(_ entryName: String) -> AWSError {
        make("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
             "There should be at least one \(entryName) in the request.")
    }

    static func batchEntryIdsNotDistinct(_ id: String) -> AWSError {
        make("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id \(id) repeated.")
    }

    static func invalidBatchEntryId() -> AWSError {
        make("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
             "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
    }

    static func batchRequestTooLong(_ sent: Int) -> AWSError {
        make("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
             "Batch requests cannot be longer than \(Limits.maxBatchBytes) bytes. You have sent \(sent) bytes.")
    }

    static func receiptHandleIsInvalid(_ handle: String) -> AWSError {
        make("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
             "The input receipt handle \"\(handle)\" is not a valid receipt handle.")
    }

    static func invalidAttributeName(_ message: String) -> AWSError {
        make("InvalidAttributeName", "InvalidAttributeName", message)
    }

    static func unknownAttribute(_ name: String) -> AWSError {
        invalidAttributeName("Unknown Attribute \(name).")
    }

    static func invalidAttributeValue(_ name: String, reason: String? = nil) -> AWSError {
        make("InvalidAttributeValue", "InvalidAttributeValue",
             "Invalid value for the parameter \(name)." + (reason.map { " Reason: \($0)." } ?? ""))
    }

    /// The scalar (as `#x7`) SQS names when a body holds a character outside its set.
    static func invalidMessageContents(_ scalar: Unicode.Scalar) -> AWSError {
        make("InvalidMessageContents", "InvalidMessageContents", invalidContentsMessage(scalar))
    }

    static func invalidContentsMessage(_ scalar: Unicode.Scalar) -> String {
        "Invalid binary character '#x\(String(scalar.value, radix: 16, uppercase: true))' was found in the message body, "
            + "the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
    }

    static func overLimit(_ message: String) -> AWSError {
        make("OverLimit", "OverLimit", message, status: 403)
    }

    static func resourceNotFound(_ message: String) -> AWSError {
        make("ResourceNotFoundException", "ResourceNotFoundException", message, status: 404)
    }

    static func invalidAddress(_ url: String) -> AWSError {
        make("InvalidAddress", "InvalidAddress", "The address \(url) is not valid for this endpoint.")
    }

    static func unsupportedOperation(_ message: String) -> AWSError {
        make("UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", message)
    }

    // MARK: Unmodelled errors (JSON names as AWS sends them)

    static func invalidParameterValue(_ message: String) -> AWSError {
        make("InvalidParameterValueException", "InvalidParameterValue", message)
    }

    static func missingParameter(_ name: String) -> AWSError {
        make("MissingRequiredParameterException", "MissingParameter", "The request must contain the parameter \(name).")
    }

    static func invalidParameter(_ name: String, value: String, reason: String) -> AWSError {
        invalidParameterValue("Value \(value) for parameter \(name) is invalid. Reason: \(reason)")
    }

    static func receiptHandleExpired(_ handle: String) -> AWSError {
        invalidParameter("ReceiptHandle", value: handle, reason: "The receipt handle has expired.")
    }

    static func notAvailableForVisibilityChange(_ handle: String) -> AWSError {
        invalidParameter("ReceiptHandle", value: handle,
                         reason: "Message does not exist or is not available for visibility timeout change.")
    }

    static func messageTooLong(_ max: Int) -> AWSError {
        invalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than \(max) bytes.")
    }
}

/// SQS's fixed limits.
enum Limits {
    static let maxBatchEntries = 10
    static let maxBatchBytes = 1_048_576
    static let maxMessageBytes = 1_048_576
    static let maxVisibilityTimeout = 43_200
    static let maxDelaySeconds = 900
    static let maxWaitTimeSeconds = 20
    static let maxMessageAttributes = 10
    static let deduplicationWindow = 300.0
    static let receiveAttemptWindow = 300.0
    static let purgeInterval = 60.0
}
