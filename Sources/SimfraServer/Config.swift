/// Server configuration, read from the environment as Simfra documents it.
public struct Config: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 4599
    public var defaultAccountId: String = "000000000000"
    public var rootAccessKeyId: String = "AKIAIOSFODNN7EXAMPLE"
    public var rootSecretAccessKey: String = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    public var defaultRegion: String = "us-east-1"
    public var logLevel: LogLevel = .info
    public var dataDir: String?
    /// 64 hex characters; without it `<dataDir>/.master_key` is used (made on first start).
    public var persistenceKey: String?
    /// Most connections open at once; nil derives it from the open-file limit at start
    /// (`ConnectionLimits.defaultCap`). Connections past it are answered 503 `SlowDown` and closed.
    public var maxConnections: Int?
    /// Seconds a keep-alive connection may sit between requests before it is closed.
    public var idleTimeout: Double = 60
    /// Seconds a request may go without a byte of progress (head or body) before it is answered
    /// 400 `RequestTimeout` and its connection closed, as S3's front ends do after about 20 s.
    public var requestTimeout: Double = 20
    /// When set, every `/_simfra/*` route but health requires `Authorization: Bearer <token>`
    /// (the admin API can mint and delete accounts).
    public var adminToken: String?
    /// Seconds between two flushes of services' own metrics (AWS/SQS…) to CloudWatch (AWS: a
    /// minute; tests use a second or two).
    public var metricsFlushSeconds: Double = 60
    /// A PEM file of CA certificates trusted, besides the system's, for the HTTPS calls Simfra
    /// makes (SNS subscriptions, API destinations, OAuth token endpoints).
    public var tlsCAFile: String?

    public enum LogLevel: String, Sendable, Comparable {
        case trace, debug, info, warn, error

        private var rank: Int { [.trace: 0, .debug: 1, .info: 2, .warn: 3, .error: 4][self]! }
        public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init() {}

    /// Reads `SIMFRA_*` variables; a bad value is an error naming the variable.
    public static func fromEnvironment(_ env: [String: String]) throws(Invalid) -> Config {
        var c = Config()
        if let v = env["SIMFRA_HOST"], !v.isEmpty { c.host = v }
        if let v = env["SIMFRA_PORT"], !v.isEmpty {
            guard let p = Int(v), (0...65535).contains(p) else {
                throw Invalid(description: "SIMFRA_PORT must be a port number from 0 to 65535 (0 picks a free port), got '\(v)'")
            }
            c.port = p
        }
        if let v = env["SIMFRA_DEFAULT_ACCOUNT_ID"], !v.isEmpty {
            guard v.utf8.count == 12, v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw Invalid(description: "SIMFRA_DEFAULT_ACCOUNT_ID must be 12 digits, got '\(v)'")
            }
            c.defaultAccountId = v
        }
        if let v = env["SIMFRA_ROOT_ACCESS_KEY_ID"], !v.isEmpty {
            guard (16...128).contains(v.utf8.count), v.utf8.allSatisfy({ isAlnum($0) }) else {
                throw Invalid(description: "SIMFRA_ROOT_ACCESS_KEY_ID must be 16 to 128 letters and digits, got '\(v)'")
            }
            c.rootAccessKeyId = v
        }
        if let v = env["SIMFRA_ROOT_SECRET_ACCESS_KEY"], !v.isEmpty {
            guard v.utf8.count >= 16, v.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Invalid(description: "SIMFRA_ROOT_SECRET_ACCESS_KEY must be at least 16 printable characters without spaces")
            }
            c.rootSecretAccessKey = v
        }
        if let v = env["SIMFRA_DEFAULT_REGION"], !v.isEmpty {
            guard isRegionName(v) else {
                throw Invalid(description: "SIMFRA_DEFAULT_REGION must be a region name like us-east-1, got '\(v)'")
            }
            c.defaultRegion = v
        }
        if let v = env["SIMFRA_LOG_LEVEL"], !v.isEmpty {
            guard let l = LogLevel(rawValue: v.lowercased()) else {
                throw Invalid(description: "SIMFRA_LOG_LEVEL must be one of trace, debug, info, warn, error, got '\(v)'")
            }
            c.logLevel = l
        }
        if let v = env["SIMFRA_DATA_DIR"], !v.isEmpty { c.dataDir = v }
        if let v = env["SIMFRA_PERSISTENCE_KEY"] {
            guard v.utf8.count == 64, v.utf8.allSatisfy({ isHexDigit($0) }) else {
                throw Invalid(description: "SIMFRA_PERSISTENCE_KEY must be exactly 64 hex characters (32 bytes)")
            }
            c.persistenceKey = v
        }
        if let v = env["SIMFRA_MAX_CONNECTIONS"], !v.isEmpty {
            guard let n = Int(v), n >= 1 else {
                throw Invalid(description: "SIMFRA_MAX_CONNECTIONS must be a whole number of at least 1, got '\(v)'")
            }
            c.maxConnections = n
        }
        if let v = env["SIMFRA_ADMIN_TOKEN"], !v.isEmpty {
            guard v.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw Invalid(description: "SIMFRA_ADMIN_TOKEN must be printable characters without spaces")
            }
            c.adminToken = v
        }
        if let v = env["SIMFRA_TLS_CA_FILE"], !v.isEmpty { c.tlsCAFile = v }
        c.idleTimeout = try seconds(env, "SIMFRA_IDLE_TIMEOUT", default: c.idleTimeout)
        c.requestTimeout = try seconds(env, "SIMFRA_REQUEST_TIMEOUT", default: c.requestTimeout)
        c.metricsFlushSeconds = try seconds(env, "SIMFRA_METRICS_FLUSH_SECONDS", default: c.metricsFlushSeconds)
        return c
    }

    /// A timeout in seconds (fractions allowed, so tests can use short ones), from 0.1 to one day.
    private static func seconds(_ env: [String: String], _ name: String, default d: Double) throws(Invalid) -> Double {
        guard let v = env[name], !v.isEmpty else { return d }
        guard let s = Double(v), s.isFinite, s >= 0.1, s <= 86400 else {
            throw Invalid(description: "\(name) must be a number of seconds from 0.1 to 86400, got '\(v)'")
        }
        return s
    }

    private static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }

    static func isRegionName(_ s: String) -> Bool {
        let parts = s.split(separator: "-")
        return parts.count >= 3 && parts.last!.allSatisfy(\.isNumber)
            && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }
}
