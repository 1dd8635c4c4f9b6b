/// A tiny RGB rasteriser for metric widget images: rectangles, lines (with thickness and
/// dashes), and a 3×5 bitmap font for the axis numbers.
struct WidgetCanvas {
    typealias Color = (r: UInt8, g: UInt8, b: UInt8)

    let width: Int
    let height: Int
    var pixels: [UInt8]

    init(width: Int, height: Int, background: Color = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[i * 3] = background.r; pixels[i * 3 + 1] = background.g; pixels[i * 3 + 2] = background.b
        }
    }

    mutating func set(_ x: Int, _ y: Int, _ c: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.r; pixels[i + 1] = c.g; pixels[i + 2] = c.b
    }

    func get(_ x: Int, _ y: Int) -> Color {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: Color) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// Bresenham, `thickness` pixels wide; `dash` > 0 draws `dash` on, `dash` off.
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Color, thickness: Int = 1, dash: Int = 0) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy, step = 0
        let half = thickness / 2
        while true {
            if dash == 0 || (step / dash) % 2 == 0 {
                for oy in -half..<(thickness - half) { for ox in -half..<(thickness - half) { set(x + ox, y + oy, c) } }
            }
            step += 1
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
            if step > 8000 { break }
        }
    }

    /// Glyphs 3 wide, 5 tall, one row per 3-bit number (top row first).
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0], "e": [0, 7, 7, 4, 7], "+": [0, 2, 7, 2, 0], ":": [0, 2, 0, 2, 0],
    ]

    /// Draws what the font has (digits, `.`, `-`, `+`, `e`, `:`), `scale` pixels per dot; answers the width used.
    @discardableResult
    mutating func text(_ s: String, x: Int, y: Int, _ c: Color, scale: Int = 2) -> Int {
        var cx = x
        for ch in s {
            guard let rows = Self.glyphs[ch] else { cx += 4 * scale; continue }
            for (r, bits) in rows.enumerated() {
                for col in 0..<3 where bits & (4 >> UInt8(col)) != 0 {
                    fill(x: cx + col * scale, y: y + r * scale, w: scale, h: scale, c)
                }
            }
            cx += 4 * scale
        }
        return cx - x
    }

    static func textWidth(_ s: String, scale: Int = 2) -> Int { s.count * 4 * scale }

    /// `#rrggbb` or `#rgb`; nil for anything else.
    static func color(hex: String?) -> Color? {
        guard var h = hex, h.hasPrefix("#") else { return nil }
        h.removeFirst()
        if h.count == 3 { h = h.map { "\($0)\($0)" }.joined() }
        guard h.count == 6, let v = UInt32(h, radix: 16) else { return nil }
        return (UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff))
    }
}
