/// A user's console password. Sealed at rest and never returned by any operation.
struct LoginProfile: Codable, Sendable, Equatable {
    var password: String
    var created: Double
    var passwordResetRequired: Bool
}
