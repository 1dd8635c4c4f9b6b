import SimfraCore

extension STSService {
    /// Mints a temporary credential for `account` and records it in the session store.
    /// Expiration has whole seconds, as AWS's.
    func issue(account: String, principalArn: String, userId: String, duration: Int, session: SessionInfo) -> Credential {
        let now = clock.now().rounded(.down)
        let credential = Credential(
            accessKeyId: AccessKeyID.make(prefix: "ASIA", account: account),
            secretAccessKey: Self.newSecretAccessKey(), accountId: account, principalArn: principalArn, userId: userId,
            sessionToken: Self.newSessionToken(), expiration: now + Double(duration), session: session)
        sessions.add(credential)
        return credential
    }

    /// The `Credentials` structure of every credential-issuing response.
    static func credentialsValue(_ c: Credential) -> Value {
        [
            "AccessKeyId": .string(c.accessKeyId),
            "SecretAccessKey": .string(c.secretAccessKey),
            "SessionToken": .string(c.sessionToken ?? ""),
            "Expiration": .timestamp(c.expiration ?? 0),
        ]
    }

    /// 40 characters of base64, as AWS's secret keys.
    static func newSecretAccessKey() -> String {
        Base64.encode(randomBytes(30))
    }

    /// An opaque token, unique per session. AWS's are a few hundred base64 characters that
    /// start with a fixed header; these look alike and carry nothing but randomness (the
    /// session's facts stay in the store).
    static func newSessionToken() -> String {
        "IQoJb3JpZ2luX2VjE" + Base64.encode(randomBytes(288))
    }

    static func randomBytes(_ n: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// The caller's session when it signed with temporary credentials.
    func callerSession(_ context: RequestContext) -> Credential? {
        guard context.accessKeyId.hasPrefix("ASIA") else { return nil }
        return sessions.session(forAccessKeyId: context.accessKeyId) ?? accessKeys.credential(forAccessKeyId: context.accessKeyId)
    }

    static func isRoot(_ context: RequestContext) -> Bool {
        context.principalArn.hasSuffix(":root") && context.principalArn.hasPrefix("arn:")
    }

    /// `arn:aws:…` → `aws`.
    static func partition(of arn: String) -> String {
        let parts = arn.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count > 1 && !parts[1].isEmpty ? String(parts[1]) : "aws"
    }
}
