import NIOCore
import NIOSSL
import Synchronization

/// TLS for `https://` endpoints. AWS calls an HTTPS subscriber or API destination only when its
/// certificate chains to a public CA and names the host; Simfra checks the same way, against
/// the system's trust store plus the CA certificates of `SIMFRA_TLS_CA_FILE`, so a local
/// endpoint with a self-signed or mkcert certificate is reachable once its CA is named there.
extension HTTPDelivery {
    private static let tlsContext = Mutex<Result<NIOSSLContext, TLSSetupError>?>(nil)
    private static let extraTrust = Mutex<[NIOSSLCertificate]>([])

    public struct TLSSetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Trusts the CA certificates in a PEM file besides the system's. Called once at start,
    /// before any delivery; a file without a readable certificate is an error for the caller to
    /// report (the server refuses to start rather than fail every HTTPS delivery later).
    public static func trustAlso(pemFile path: String) throws(TLSSetupError) {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw TLSSetupError(description: "cannot read CA certificates from \(path): \(error)")
        }
        guard !certificates.isEmpty else { throw TLSSetupError(description: "\(path) holds no PEM certificate") }
        extraTrust.withLock { $0 = certificates }
        tlsContext.withLock { $0 = nil }
    }

    /// Built on the first HTTPS call (loading the trust store costs a few milliseconds that a
    /// server without HTTPS subscribers should never pay), then shared: a context is immutable.
    static func clientContext() -> Result<NIOSSLContext, TLSSetupError> {
        tlsContext.withLock { cached in
            if let cached { return cached }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            let extra = extraTrust.withLock { $0 }
            if !extra.isEmpty { configuration.additionalTrustRoots = [.certificates(extra)] }
            let built: Result<NIOSSLContext, TLSSetupError>
            do {
                built = .success(try NIOSSLContext(configuration: configuration))
            } catch {
                built = .failure(TLSSetupError(description: "cannot set up TLS: \(error)"))
            }
            cached = built
            return built
        }
    }

    /// The TLS handler for one connection. SNI carries a host name, never an IP address (RFC
    /// 6066); for an address NIOSSL checks the certificate's IP SANs against the peer instead.
    static func tlsHandler(host: String) throws -> NIOSSLClientHandler {
        let context = try clientContext().get()
        let isAddress = host.contains(":") || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }

    /// A server that closes without TLS's close_notify after answering is common and harmless
    /// for a request that has its answer: the catchers ignore it and settle on what they read.
    static func isUncleanShutdown(_ error: Error) -> Bool {
        if let e = error as? NIOSSLError, case .uncleanShutdown = e { return true }
        return false
    }

    /// Handshake failures in words a user can act on.
    static func describeTLSFailure(_ error: Error, host: String, port: Int) -> String? {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS handshake with \(host):\(port) failed: the certificate is not trusted (a local CA can be trusted with SIMFRA_TLS_CA_FILE)"
        }
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname {
            return "TLS handshake with \(host):\(port) failed: the certificate does not name \(host)"
        }
        if error is NIOSSLError || error is BoringSSLError {
            return "TLS handshake with \(host):\(port) failed: \(text)"
        }
        return nil
    }
}
