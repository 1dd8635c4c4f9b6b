import Foundation
import SimfraCore

/// GetMetricWidgetImage: the widget's metrics are read as GetMetricData reads them and drawn as
/// a line chart (AWS's palette, horizontal grid with numbered ticks, horizontal annotations as
/// dashed lines) into a PNG answered base64 in the protocol's blob. Text other than numbers
/// (title, legend, labels) is not drawn: the built-in font only has digits.
extension CloudWatchService {
    /// AWS's default series colours, in order.
    static let palette: [WidgetCanvas.Color] = [
        (0x1f, 0x77, 0xb4), (0xff, 0x7f, 0x0e), (0x2c, 0xa0, 0x2c), (0xd6, 0x27, 0x28), (0x94, 0x67, 0xbd),
        (0x8c, 0x56, 0x4b), (0xe3, 0x77, 0xc2), (0x7f, 0x7f, 0x7f), (0xbc, 0xbd, 0x22), (0x17, 0xbe, 0xcf),
    ]

    func getMetricWidgetImage(_ input: Value, _ context: RequestContext) throws(AWSError) -> Value {
        let format = input.string("OutputFormat") ?? "png"
        // "image/png" asks for a raw PNG body instead of the protocol's blob, which Simfra does not answer.
        guard format == "png" else {
            throw CloudWatchError.invalidValue("The value \(format) for parameter OutputFormat is not supported; use png.")
        }
        let widget: MetricWidget
        do {
            widget = try MetricWidget(json: input.string("MetricWidget") ?? "", now: clock.now())
        } catch {
            throw CloudWatchError.invalidValue(error.message)
        }
        let queries = widget.lines.map(\.query)
        let out = try getMetricData(["MetricDataQueries": .list(queries), "StartTime": .timestamp(widget.start),
                                     "EndTime": .timestamp(widget.end)], context)
        var series: [(color: WidgetCanvas.Color, points: [(Double, Double)])] = []
        for (k, r) in (out["MetricDataResults"]?.listValue ?? []).enumerated() {
            let line = widget.lines.first { $0.id == r.string("Id") }
            let color = WidgetCanvas.color(hex: line?.color) ?? Self.palette[k % Self.palette.count]
            var points: [(Double, Double)] = []
            for (t, v) in zip(r["Timestamps"]?.listValue ?? [], r["Values"]?.listValue ?? []) {
                if case .timestamp(let time) = t, let d = v.doubleValue, d.isFinite { points.append((time, d)) }
            }
            series.append((color, points.sorted { $0.0 < $1.0 }))
        }
        let canvas = Self.draw(widget, series)
        guard let png = PNGEncoder.encode(canvas) else { throw AWSError(code: "InternalServiceFault", message: "Could not encode the image.", status: 500) }
        return ["MetricWidgetImage": .blob(png)]
    }

    static func draw(_ w: MetricWidget, _ series: [(color: WidgetCanvas.Color, points: [(Double, Double)])]) -> WidgetCanvas {
        var c = WidgetCanvas(width: w.width, height: w.height)
        let left = min(64, w.width / 4), right = min(16, w.width / 10)
        let top = min(w.title == nil ? 12 : 30, w.height / 8), bottom = min(28, w.height / 6)
        let plotW = max(1, w.width - left - right), plotH = max(1, w.height - top - bottom)
        let values = series.flatMap { $0.points.map(\.1) } + w.annotations.map(\.value)
        var lo = w.yMin ?? min(0, values.min() ?? 0), hi = w.yMax ?? (values.max() ?? 1)
        if hi <= lo { hi = lo + 1 }
        let step = niceStep((hi - lo) / 4)
        if w.yMax == nil { hi = (hi / step).rounded(.up) * step }
        if w.yMin == nil { lo = (lo / step).rounded(.down) * step }
        if hi <= lo { hi = lo + step }
        // Fractions of the axes, kept finite and near the plot whatever the values (1e308, a zero span).
        func frac(_ a: Double, _ b: Double) -> Double {
            let f = a / b
            return f.isFinite ? min(max(f, -1), 2) : 0
        }
        func x(_ t: Double) -> Int { left + Int((frac(t - w.start, w.end - w.start) * Double(plotW - 1)).rounded()) }
        func y(_ v: Double) -> Int { top + plotH - 1 - Int((frac(v - lo, hi - lo) * Double(plotH - 1)).rounded()) }
        let grid: WidgetCanvas.Color = (0xe9, 0xeb, 0xed), axis: WidgetCanvas.Color = (0x87, 0x91, 0x96)
        var tick = lo
        var ticks = 0
        while tick <= hi + step / 2, ticks < 50 {
            let ty = y(tick)
            c.line(left, ty, left + plotW - 1, ty, grid)
            let label = tickLabel(tick)
            if left >= WidgetCanvas.textWidth(label) + 4 {
                c.text(label, x: left - 4 - WidgetCanvas.textWidth(label), y: ty - 5, axis)
            }
            tick += step
            ticks += 1
        }
        c.line(left, top, left, top + plotH - 1, axis)
        c.line(left, top + plotH - 1, left + plotW - 1, top + plotH - 1, axis)
        for a in w.annotations where a.value >= lo && a.value <= hi {
            c.line(left, y(a.value), left + plotW - 1, y(a.value), WidgetCanvas.color(hex: a.color) ?? (0xd6, 0x27, 0x28), dash: 6)
        }
        for s in series {
            let clipped = s.points.map { (x($0.0), y(min(max($0.1, lo), hi))) }
            if clipped.count == 1 { c.fill(x: clipped[0].0 - 2, y: clipped[0].1 - 2, w: 5, h: 5, s.color) }
            for (a, b) in zip(clipped, clipped.dropFirst()) { c.line(a.0, a.1, b.0, b.1, s.color, thickness: 2) }
        }
        return c
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * p >= raw { return m * p }
        return 10 * p
    }

    static func tickLabel(_ v: Double) -> String {
        if abs(v) >= 1e6 || (abs(v) < 1e-3 && v != 0) { return String(format: "%.1e", v) }
        if v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }
}
