import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Outbound HTTP(S) calls the event services make on a user's behalf: SNS HTTP/S
/// subscriptions (confirmations and notifications), later EventBridge API destinations.
/// One POST, one outcome; retrying is the caller's policy, not the client's.
public enum HTTPDelivery {
    public enum Outcome: Sendable, Equatable {
        /// The endpoint answered with this status.
        case status(Int)
        /// No answer: refused connection, DNS failure, timeout, bad URL.
        case unreachable(String)

        public var isSuccess: Bool { if case .status(let s) = self { (200..<300).contains(s) } else { false } }
    }

    /// Ephemeral: no cookies, no cache, no credentials store between deliveries.
    private static let session: URLSession = {
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = 15
        c.timeoutIntervalForResource = 15
        c.httpCookieAcceptPolicy = .never
        c.urlCache = nil
        return URLSession(configuration: c)
    }()

    public static func post(_ url: String, headers: [(String, String)], body: [UInt8]) async -> Outcome {
        await send(method: "POST", url, headers: headers, body: body)
    }

    public static func send(method: String, _ url: String, headers: [(String, String)], body: [UInt8]) async -> Outcome {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return .unreachable("not an http(s) URL: \(url)")
        }
        var request = URLRequest(url: u)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return .unreachable("no HTTP response") }
            return .status(http.statusCode)
        } catch {
            return .unreachable(error.localizedDescription)
        }
    }
}
