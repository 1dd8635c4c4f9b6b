import SimfraCore
import Testing

@testable import SimfraProtocols

/// Temporary credentials past their expiration answer `expiredToken` (the server maps it to
/// each service's ExpiredToken error), not "unknown key"; a wrong token still answers
/// `badSessionToken` whatever the expiry.
struct SigV4ExpiredTokenTests {
    static let token = "IQoJb3JpZ2luX2VjEXAMPLE"

    func temporary(expiresIn seconds: Double) -> Credential {
        var c = SigV4StrictnessTests.root
        c.sessionToken = Self.token
        c.expiration = SigV4StrictnessTests.now + seconds
        return c
    }

    @Test func expiredSessionAnswersExpiredToken() throws {
        let req = SigV4StrictnessTests.signed(method: "POST", uri: "/", service: "sts",
                                              headers: [("x-amz-security-token", Self.token)], payloadHash: nil, s3Style: false)
        _ = try SigV4StrictnessTests.verify(req, s3Style: false, signingName: "sts", cred: temporary(expiresIn: 60))
        #expect(throws: SigV4Failure.expiredToken) {
            _ = try SigV4StrictnessTests.verify(req, s3Style: false, signingName: "sts", cred: temporary(expiresIn: -1))
        }
        let wrong = SigV4StrictnessTests.signed(method: "POST", uri: "/", service: "sts",
                                                headers: [("x-amz-security-token", "other")], payloadHash: nil, s3Style: false)
        #expect(throws: SigV4Failure.badSessionToken) {
            _ = try SigV4StrictnessTests.verify(wrong, s3Style: false, signingName: "sts", cred: temporary(expiresIn: -1))
        }
    }
}
