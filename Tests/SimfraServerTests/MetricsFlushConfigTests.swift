import Testing

@testable import SimfraServer

/// SIMFRA_METRICS_FLUSH_SECONDS: AWS's minute by default, fractions allowed for tests.
struct MetricsFlushConfigTests {
    @Test func defaultAndOverride() throws {
        #expect(try Config.fromEnvironment([:]).metricsFlushSeconds == 60)
        #expect(try Config.fromEnvironment(["SIMFRA_METRICS_FLUSH_SECONDS": "1.5"]).metricsFlushSeconds == 1.5)
    }

    @Test(arguments: ["0", "-1", "soon", "1e9"])
    func rejects(value: String) {
        do {
            _ = try Config.fromEnvironment(["SIMFRA_METRICS_FLUSH_SECONDS": value])
            Issue.record("accepted \(value)")
        } catch {
            #expect(error.description.contains("SIMFRA_METRICS_FLUSH_SECONDS"))
        }
    }
}
