import Foundation
import SimfraCore
import Testing

@testable import SimfraCloudWatch

/// GetMetricWidgetImage: the widget JSON's shorthands, and a real PNG with the series drawn.
@Suite struct WidgetImageTests {
    @Test func widgetShorthands() throws {
        let w = try MetricWidget(json: """
            {"metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", "i-1", {"stat": "Maximum", "color": "#ff0000"}],
                         ["...", "i-2"], [".", "NetworkIn", ".", "."], [{"expression": "m1 * 2", "id": "e"}]],
             "period": 60, "start": "-PT1H", "end": "P0D", "width": 300, "height": 200, "title": "t",
             "yAxis": {"left": {"min": 0, "max": 100}}, "annotations": {"horizontal": [{"value": 50, "label": "x"}]}}
            """, now: 10_000)
        #expect(w.start == 10_000 - 3600 && w.end == 10_000)
        #expect(w.width == 300 && w.height == 200 && w.yMax == 100 && w.annotations.first?.value == 50)
        #expect(w.lines.count == 4)
        #expect(w.lines[1].query["MetricStat"]?["Metric"]?["Dimensions"] == [["Name": "InstanceId", "Value": "i-2"]])
        #expect(w.lines[1].query["MetricStat"]?["Stat"] == "Average")
        #expect(w.lines[0].query["MetricStat"]?["Stat"] == "Maximum")
        #expect(w.lines[2].query["MetricStat"]?["Metric"]?["MetricName"] == "NetworkIn")
        #expect(w.lines[2].query["MetricStat"]?["Metric"]?["Dimensions"] == [["Name": "InstanceId", "Value": "i-2"]])
        #expect(w.lines[3].query["Expression"] == "m1 * 2")
        #expect(MetricWidget.duration("-P1DT2H30M") == -95_400.0)
        #expect(throws: MetricWidget.Invalid.self) { try MetricWidget(json: "[]", now: 0) }
        #expect(throws: MetricWidget.Invalid.self) { try MetricWidget(json: #"{"metrics": [["...", "x"]]}"#, now: 0) }
        #expect(throws: MetricWidget.Invalid.self) { try MetricWidget(json: #"{"metrics": [["A", "b"]], "width": 5000}"#, now: 0) }
    }

    @Test func drawsAPNG() async throws {
        let h = Harness()
        let now = h.clock.now()
        for k in 0..<10 { try await h.put("Latency", Double(k * 10), at: now - Double(600 - k * 60)) }
        let out = try await h.call("GetMetricWidgetImage", ["MetricWidget": .string("""
            {"metrics": [["App", "Latency", {"color": "#00ff00"}]], "period": 60, "start": "-PT15M", "width": 320, "height": 200,
             "annotations": {"horizontal": [{"value": 45, "color": "#0000ff"}]}}
            """)])
        guard case .blob(let png)? = out["MetricWidgetImage"] else { Issue.record("no image"); return }
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height big-endian after the chunk length and type.
        #expect(Array(png[16..<24]) == [0, 0, 1, 64, 0, 0, 0, 200])
        let canvas = CloudWatchService.draw(try MetricWidget(json: """
            {"metrics": [["App", "Latency"]], "start": "-PT15M", "width": 320, "height": 200}
            """, now: now), [((0, 255, 0), [(now - 600, 0), (now - 60, 90)])])
        var green = 0
        for y in 0..<canvas.height { for x in 0..<canvas.width where canvas.get(x, y) == (0, 255, 0) { green += 1 } }
        #expect(green > 100)
        let bad = await h.error("GetMetricWidgetImage", ["MetricWidget": "{", "OutputFormat": "png"])
        #expect(bad?.code == "InvalidParameterValueException")
        let svg = await h.error("GetMetricWidgetImage", ["MetricWidget": #"{"metrics": [["A", "b"]]}"#, "OutputFormat": "svg"])
        #expect(svg?.code == "InvalidParameterValueException")
    }
}

extension WidgetImageTests {
    /// Extreme axes and values draw something rather than trapping on a NaN or an overflow.
    @Test func extremeValues() throws {
        for axis in [#""yAxis": {"left": {"min": 1e308, "max": -1e308}}"#, #""yAxis": {"left": {"min": 5, "max": 5}}"#, #""period": 60"#] {
            let w = try MetricWidget(json: #"{"metrics": [["A", "b"]], "width": 50, "height": 20, \#(axis), "annotations": {"horizontal": [{"value": -1e308}]}}"#,
                                     now: 1000)
            let c = CloudWatchService.draw(w, [((1, 2, 3), [(400, -1e308), (500, 1e308), (600, .greatestFiniteMagnitude)])])
            #expect(c.pixels.count == 50 * 20 * 3)
        }
        let tiny = try MetricWidget(json: #"{"metrics": [["A", "b"]], "width": 1, "height": 1}"#, now: 1000)
        #expect(PNGEncoder.encode(CloudWatchService.draw(tiny, [])) != nil)
    }
}
