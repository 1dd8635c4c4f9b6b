import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// Period statistics and extended statistics over weighted samples and statistic sets.
@Suite struct StatisticsTests {
    func stats(_ values: [Double], counts: [Float]? = nil) -> PeriodStatistics {
        var s = PeriodStatistics()
        for (i, v) in values.enumerated() { s.add(.init(time: 0, count: counts?[i] ?? 1, value: v)) }
        return s
    }

    @Test func basicStatistics() {
        let s = stats([1, 2, 3, 4])
        #expect(s.value(of: "Sum") == 10)
        #expect(s.value(of: "Average") == 2.5)
        #expect(s.value(of: "Minimum") == 1)
        #expect(s.value(of: "Maximum") == 4)
        #expect(s.value(of: "SampleCount") == 4)
        #expect(PeriodStatistics().value(of: "Sum") == nil)
    }

    @Test func countsWeightValues() {
        let s = stats([10, 20], counts: [3, 1])
        #expect(s.value(of: "SampleCount") == 4)
        #expect(s.value(of: "Average") == 12.5)
        #expect(s.value(of: "p50") == 10)
        #expect(s.value(of: "p100") == 20)
    }

    @Test func percentilesNearestRank() {
        let s = stats((1...100).map(Double.init))
        #expect(s.value(of: "p99") == 99)
        #expect(s.value(of: "p50") == 50)
        #expect(s.value(of: "p99.9") == 100)
        #expect(s.value(of: "p0") == 1)
    }

    @Test func trimmedStatistics() {
        let s = stats((1...10).map(Double.init))
        // tm90: the lowest 90% of values, 1…9.
        #expect(s.value(of: "tm90") == 5)
        #expect(s.value(of: "tc90") == 9)
        #expect(s.value(of: "ts90") == 45)
        #expect(s.value(of: "tm(10%:90%)") == 5.5)
    }

    @Test func statisticSetsHaveNoPercentiles() {
        var s = PeriodStatistics()
        s.add(MetricStore.StatisticSet(time: 0, sampleCount: 4, sum: 10, minimum: 1, maximum: 4))
        #expect(s.value(of: "Average") == 2.5)
        #expect(s.value(of: "p90") == nil)
    }

    @Test func extendedStatisticNames() {
        for ok in ["p99", "p99.9", "p100", "tm90", "tm(10%:90%)", "tm(:95%)", "tc99", "ts50"] {
            #expect(ExtendedStatistic.isValid(ok), "\(ok)")
        }
        for bad in ["p", "p101", "x99", "tm(90%:10%)", "p-1", "Average"] {
            #expect(!ExtendedStatistic.isValid(bad), "\(bad)")
        }
    }
}
