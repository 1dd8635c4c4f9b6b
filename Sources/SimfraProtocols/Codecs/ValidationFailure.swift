/// Problems found while decoding or validating input against the model, before a protocol
/// turns them into its own error code.
package enum InputProblem: Sendable {
    /// A required member is absent (path in AWS's camelCase form, member name as modelled).
    case missing(path: String, member: String)
    /// A constraint failed: AWS's "Value x at 'path' failed to satisfy constraint: …".
    case constraint(String)
    /// The wire value cannot be the modelled type.
    case type(String)
}
