import Testing

@testable import SimfraServer

struct ConfigTests {
    @Test func defaults() throws {
        let c = try Config.fromEnvironment([:])
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 4599)
        #expect(c.defaultAccountId == "000000000000")
        #expect(c.rootAccessKeyId == "AKIAIOSFODNN7EXAMPLE")
        #expect(c.defaultRegion == "us-east-1")
        #expect(c.dataDir == nil)
        #expect(c.maxConnections == nil)
        #expect(c.idleTimeout == 60)
        #expect(c.requestTimeout == 20)
    }

    @Test func connectionSettings() throws {
        let c = try Config.fromEnvironment([
            "SIMFRA_MAX_CONNECTIONS": "50", "SIMFRA_IDLE_TIMEOUT": "1.5", "SIMFRA_REQUEST_TIMEOUT": "0.5",
        ])
        #expect(c.maxConnections == 50)
        #expect(c.idleTimeout == 1.5)
        #expect(c.requestTimeout == 0.5)
    }

    @Test func overrides() throws {
        let c = try Config.fromEnvironment([
            "SIMFRA_PORT": "0", "SIMFRA_HOST": "0.0.0.0", "SIMFRA_DEFAULT_REGION": "eu-west-1",
            "SIMFRA_DEFAULT_ACCOUNT_ID": "123456789012", "SIMFRA_LOG_LEVEL": "DEBUG",
        ])
        #expect(c.port == 0)
        #expect(c.host == "0.0.0.0")
        #expect(c.defaultRegion == "eu-west-1")
        #expect(c.defaultAccountId == "123456789012")
        #expect(c.logLevel == .debug)
    }

    @Test(arguments: [
        ("SIMFRA_PORT", "99999"), ("SIMFRA_PORT", "abc"), ("SIMFRA_PORT", "-1"),
        ("SIMFRA_DEFAULT_ACCOUNT_ID", "123"), ("SIMFRA_ROOT_ACCESS_KEY_ID", "short"),
        ("SIMFRA_DEFAULT_REGION", "mars"), ("SIMFRA_LOG_LEVEL", "loud"),
        ("SIMFRA_ROOT_SECRET_ACCESS_KEY", "has spaces in it ok"),
        ("SIMFRA_MAX_CONNECTIONS", "0"), ("SIMFRA_MAX_CONNECTIONS", "many"),
        ("SIMFRA_IDLE_TIMEOUT", "0"), ("SIMFRA_IDLE_TIMEOUT", "nan"), ("SIMFRA_REQUEST_TIMEOUT", "-5"),
        ("SIMFRA_REQUEST_TIMEOUT", "1e9"),
    ])
    func rejects(name: String, value: String) {
        #expect(throws: Config.Invalid.self) { _ = try Config.fromEnvironment([name: value]) }
        do {
            _ = try Config.fromEnvironment([name: value])
        } catch {
            #expect(error.description.contains(name))
        }
    }
}
