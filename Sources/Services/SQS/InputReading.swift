import SimfraCore

/// Input members Simfra adds in `prepareInput` to carry what model validation would
/// otherwise reject before the handler could answer with SQS's own error.
enum HiddenInput {
    /// Attribute names outside the model's enum (SQS answers `InvalidAttributeName`).
    static let unknownAttributeNames = "x-simfra-unknown-attribute-names"
}
