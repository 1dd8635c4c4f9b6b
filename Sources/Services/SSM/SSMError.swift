import SimfraCore

/// Parameter Store's errors, with the codes and wording AWS answers (all 400).
enum SSMError {
    static func validation(_ m: String) -> AWSError { AWSError(code: "ValidationException", message: m) }

    /// GetParameter answers it with an empty message (recorded against AWS); the mutating
    /// operations name the parameter.
    static func notFound(_ name: String? = nil) -> AWSError {
        AWSError(code: "ParameterNotFound", message: name.map { "Parameter \($0) not found." } ?? "")
    }

    static func versionNotFound(_ selector: String, _ name: String) -> AWSError {
        AWSError(code: "ParameterVersionNotFound",
                 message: "Systems Manager could not find version \(selector) of \(name). Verify the version and try again.")
    }

    static let alreadyExists = AWSError(
        code: "ParameterAlreadyExists",
        message: "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")

    static let hierarchyTooDeep = AWSError(
        code: "HierarchyLevelLimitExceededException",
        message: "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.")

    static let limitExceeded = AWSError(
        code: "ParameterLimitExceeded",
        message: "You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again.")

    static func patternMismatch(_ pattern: String) -> AWSError {
        AWSError(code: "ParameterPatternMismatchException",
                 message: "Parameter value, cannot be validated against allowedPattern: \(pattern)")
    }

    static func invalidAllowedPattern(_ pattern: String) -> AWSError {
        AWSError(code: "InvalidAllowedPatternException",
                 message: "The allowedPattern \(pattern) is not a valid regular expression.")
    }

    static func maxVersions(_ name: String, oldest: Int64) -> AWSError {
        AWSError(code: "ParameterMaxVersionLimitExceeded",
                 message: "You attempted to create a new version of \(name) by calling the PutParameter API with the overwrite flag. Version \(oldest), the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.")
    }

    static let labelLimit = AWSError(
        code: "ParameterVersionLabelLimitExceeded",
        message: "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")

    static func invalidFilterKey(_ m: String) -> AWSError { AWSError(code: "InvalidFilterKey", message: m) }
    static func invalidFilterOption(_ m: String) -> AWSError { AWSError(code: "InvalidFilterOption", message: m) }
    static func invalidFilterValue(_ m: String) -> AWSError { AWSError(code: "InvalidFilterValue", message: m) }
    static let invalidNextToken = AWSError(code: "InvalidNextToken", message: "The specified token isn't valid.")
    static let invalidResourceId = AWSError(code: "InvalidResourceId", message: "")
    static let invalidResourceType = AWSError(code: "InvalidResourceType", message: "")

    static func policyType(_ t: String) -> AWSError {
        AWSError(code: "InvalidPolicyTypeException",
                 message: "The policy type is not supported: \(t). Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification.")
    }

    static func policyAttribute(_ m: String) -> AWSError { AWSError(code: "InvalidPolicyAttributeException", message: m) }

    static func incompatiblePolicy(_ t: String) -> AWSError {
        AWSError(code: "IncompatiblePolicyException",
                 message: "There is a conflict in the policies specified for this parameter. You can't specify two \(t) policies for a parameter. Review your policies, and try again.")
    }

    static let tooManyPolicies = AWSError(
        code: "PoliciesLimitExceededException",
        message: "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10.")

    static let tooManyTags = AWSError(
        code: "TooManyTagsError",
        message: "The Tag value to be added would exceed the maximum number of tags (50) on the resource.")

    static func reservedName(_ name: String) -> AWSError {
        AWSError(code: "AccessDeniedException", message: "No access to reserved parameter name: \(name).")
    }
}
