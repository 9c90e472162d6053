import Foundation

/// Charts drawn straight into images: training curves and confusion matrices, readable without a plotting library.
public enum Chart {
    /// A line chart (RGB, white background) of one or more series.
    ///
    /// Layout, top to bottom: the title (large when it fits), a legend row naming each series in its colour, the plot
    /// (light grid at round-numbered ticks such as 0.5, 1, 1.5; y range widened to whole ticks, x range exactly the data),
    /// x tick labels and `xLabel`; `yLabel` runs bottom to top along the left edge. Lines are 2 pixels wide and
    /// anti-aliased; points are marked too when a series has 40 or fewer.
    /// - Parameters:
    ///   - series: names and values; value i is at x = i + 1, or at `xValues[i]` when given. NaN or infinite values
    ///     (and x values) are skipped and the line joins the points on either side. A constant series lies across the
    ///     middle. With no finite point at all the plot says "no data".
    ///   - xValues: x positions shared by all series; points past its end are skipped.
    ///   - width: image width in pixels. height: image height in pixels.
    public static func lines(_ series: [(name: String, values: [Double])], xValues: [Double]? = nil, title: String,
                             xLabel: String, yLabel: String, width: Int = 640, height: Int = 400) -> Image {
        let width = max(width, 1), height = max(height, 1)
        var image = Image(width: width, height: height, channels: 3, fill: 255)
        let margin = 10

        // Title, centred; scale 2 when it fits.
        var top = margin
        if !title.isEmpty {
            let scale = BitmapFont.textWidth(title, scale: 2) <= width - 2 * margin ? 2 : 1
            let text = BitmapFont.truncated(title, toWidth: width - 2 * margin, scale: scale)
            BitmapFont.draw(text, into: &image, x: (width - BitmapFont.textWidth(text, scale: scale)) / 2, y: top,
                            color: titleColor, scale: scale)
            top += BitmapFont.cellHeight * scale + 4
        }
        top = drawLegend(series.map(\.name), into: &image, top: top, margin: margin) + 6

        // Finite points of each series, in data units.
        let points: [[(x: Double, y: Double)]] = series.map { entry in
            entry.values.indices.compactMap { index -> (x: Double, y: Double)? in
                let x: Double
                if let xValues { x = index < xValues.count ? xValues[index] : .nan } else { x = Double(index + 1) }
                let y = entry.values[index]
                guard x.isFinite, y.isFinite else { return nil }
                return (limited(x), limited(y))
            }
        }
        let allPoints = points.joined()

        // Plot rectangle: room below for x tick labels and the x label, left for the y label and y tick labels.
        let lineHeight = BitmapFont.cellHeight
        let plotTop = top
        let plotBottom = height - margin - lineHeight - 4 - lineHeight - 4
        let yAxis = allPoints.isEmpty ? nil : Axis(
            from: allPoints.map(\.y).min()!, to: allPoints.map(\.y).max()!,
            targetTicks: min(max((plotBottom - plotTop) / 60, 2), 8), minimumStep: 0, widenToTicks: true)
        let yTickWidth = yAxis?.labels.map { BitmapFont.textWidth($0) }.max() ?? 0
        let plotLeft = margin + lineHeight + 6 + yTickWidth + 6
        let plotRight = width - margin - 12
        let plot = (left: plotLeft, top: plotTop, width: max(plotRight - plotLeft, 1), height: max(plotBottom - plotTop, 1))

        // Axis labels.
        let labelColor: [UInt8] = [60]
        if !xLabel.isEmpty {
            let text = BitmapFont.truncated(xLabel, toWidth: width - 2 * margin)
            let x = min(max(plot.left + (plot.width - BitmapFont.textWidth(text)) / 2, margin), width - margin - BitmapFont.textWidth(text))
            BitmapFont.draw(text, into: &image, x: x, y: height - margin - lineHeight, color: labelColor)
        }
        if !yLabel.isEmpty {
            let text = BitmapFont.truncated(yLabel, toWidth: plot.height)
            BitmapFont.drawVertical(text, into: &image, x: margin,
                                    y: plot.top + (plot.height - BitmapFont.textWidth(text)) / 2, color: labelColor)
        }

        guard let yAxis else {
            image.drawLine(x0: plot.left, y0: plot.top + plot.height, x1: plot.left + plot.width, y1: plot.top + plot.height, color: axisColor)
            image.drawLine(x0: plot.left, y0: plot.top, x1: plot.left, y1: plot.top + plot.height, color: axisColor)
            let message = "no data", scale = 2
            BitmapFont.draw(message, into: &image, x: plot.left + (plot.width - BitmapFont.textWidth(message, scale: scale)) / 2,
                            y: plot.top + (plot.height - BitmapFont.cellHeight * scale) / 2, color: [150], scale: scale)
            return image
        }

        // x ticks: as many as fit side by side with a gap of two characters; whole steps when x is the index.
        let xMin = allPoints.map(\.x).min()!, xMax = allPoints.map(\.x).max()!
        var xTarget = min(max(plot.width / 70, 2), 10)
        var xAxis = Axis(from: xMin, to: xMax, targetTicks: xTarget, minimumStep: xValues == nil ? 1 : 0, widenToTicks: false)
        while xTarget > 2, xAxis.labels.map({ BitmapFont.textWidth($0) + 12 }).reduce(0, +) > plot.width {
            xTarget -= 1
            xAxis = Axis(from: xMin, to: xMax, targetTicks: xTarget, minimumStep: xValues == nil ? 1 : 0, widenToTicks: false)
        }

        // Data units -> pixel coordinates (continuous; pixel i spans [i, i + 1)).
        func pixelX(_ x: Double) -> Double { Double(plot.left) + 0.5 + (x - xAxis.low) / (xAxis.high - xAxis.low) * Double(plot.width - 1) }
        func pixelY(_ y: Double) -> Double { Double(plot.top + plot.height) - 0.5 - (y - yAxis.low) / (yAxis.high - yAxis.low) * Double(plot.height - 1) }

        // Grid and tick labels, then the axes over them.
        for (value, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = Int(pixelY(value))
            image.drawLine(x0: plot.left, y0: y, x1: plot.left + plot.width - 1, y1: y, color: gridColor)
            BitmapFont.draw(label, into: &image, x: plot.left - 6 - BitmapFont.textWidth(label), y: y - 4, color: tickColor)
        }
        for (value, label) in zip(xAxis.ticks, xAxis.labels) {
            let x = Int(pixelX(value))
            image.drawLine(x0: x, y0: plot.top, x1: x, y1: plot.top + plot.height - 1, color: gridColor)
            image.drawLine(x0: x, y0: plot.top + plot.height, x1: x, y1: plot.top + plot.height + 2, color: axisColor)
            let labelX = min(max(x - BitmapFont.textWidth(label) / 2, 0), width - BitmapFont.textWidth(label))
            BitmapFont.draw(label, into: &image, x: labelX, y: plot.top + plot.height + 3, color: tickColor)
        }
        image.drawLine(x0: plot.left - 1, y0: plot.top + plot.height, x1: plot.left + plot.width - 1, y1: plot.top + plot.height, color: axisColor)
        image.drawLine(x0: plot.left - 1, y0: plot.top, x1: plot.left - 1, y1: plot.top + plot.height, color: axisColor)

        // Series, first drawn first: a coverage mask per series (max over its segments, so joints are not darker),
        // then the colour blended in by that mask.
        for (index, seriesPoints) in points.enumerated() where !seriesPoints.isEmpty {
            var mask = CoverageMask(width: width, height: height)
            let pixelPoints = seriesPoints.map { (x: pixelX($0.x), y: pixelY($0.y)) }
            for (from, to) in zip(pixelPoints, pixelPoints.dropFirst()) {
                mask.stroke(from: from, to: to, radius: 1.0)
            }
            if pixelPoints.count <= 40 {
                for point in pixelPoints { mask.stroke(from: point, to: point, radius: 2.5) }
            }
            mask.blend(seriesColor(index), into: &image)
        }
        return image
    }

    /// The colour of series `index`: Tableau's ten, then deeper hues a golden angle apart (value 0.6, so that they
    /// differ from the brighter ten).
    static func seriesColor(_ index: Int) -> [UInt8] {
        let tableau: [[UInt8]] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                                  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]]
        if index < tableau.count { return tableau[index] }
        let hue = (Double(index) * 0.618_033_988_75).truncatingRemainder(dividingBy: 1) * 6
        let value = 0.6, chroma = value * 0.9, second = chroma * (1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1))
        let low = value - chroma
        let (r, g, b): (Double, Double, Double)
        switch Int(hue) {
        case 0: (r, g, b) = (chroma, second, 0)
        case 1: (r, g, b) = (second, chroma, 0)
        case 2: (r, g, b) = (0, chroma, second)
        case 3: (r, g, b) = (0, second, chroma)
        case 4: (r, g, b) = (second, 0, chroma)
        default: (r, g, b) = (chroma, 0, second)
        }
        return [r, g, b].map { UInt8(((($0 + low) * 255)).rounded()) }
    }

    static let titleColor: [UInt8] = [25]
    static let axisColor: [UInt8] = [110]
    static let gridColor: [UInt8] = [232]
    static let tickColor: [UInt8] = [90]

    /// Draws a centred, wrapping legend (a short line in each series' colour, then its name in that colour) from `top`;
    /// returns the y just below it. Series without a name are left out.
    private static func drawLegend(_ names: [String], into image: inout Image, top: Int, margin: Int) -> Int {
        let swatch = 16, gap = 4, spacing = 16
        let items = names.enumerated().filter { !$0.element.isEmpty }.map { entry in
            (index: entry.offset, text: BitmapFont.truncated(entry.element, toWidth: image.width - 2 * margin - swatch - gap))
        }
        guard !items.isEmpty else { return top }
        func itemWidth(_ text: String) -> Int { swatch + gap + BitmapFont.textWidth(text) }
        // Greedy rows within the margins.
        var rows: [[(index: Int, text: String)]] = [[]]
        var rowWidth = 0
        for item in items {
            let extra = (rows[rows.count - 1].isEmpty ? 0 : spacing) + itemWidth(item.text)
            if !rows[rows.count - 1].isEmpty && rowWidth + extra > image.width - 2 * margin {
                rows.append([]); rowWidth = 0
            }
            rowWidth += (rows[rows.count - 1].isEmpty ? 0 : spacing) + itemWidth(item.text)
            rows[rows.count - 1].append(item)
        }
        var y = top
        for row in rows {
            let total = row.map { itemWidth($0.text) }.reduce(0, +) + spacing * (row.count - 1)
            var x = (image.width - total) / 2
            for item in row {
                let color = seriesColor(item.index)
                image.fillRectangle(x: x, y: y + 3, width: swatch, height: 3, color: color)
                BitmapFont.draw(item.text, into: &image, x: x + swatch + gap, y: y, color: color)
                x += itemWidth(item.text) + spacing
            }
            y += BitmapFont.cellHeight + 3
        }
        return y
    }

    /// Keeps a finite value within ±1e300, so that differences of two values stay finite.
    private static func limited(_ value: Double) -> Double { min(max(value, -1e300), 1e300) }
}

extension Chart {
    /// One chart axis: its range in data units, and round-numbered ticks with their labels.
    struct Axis {
        var low: Double, high: Double, step: Double
        var ticks: [Double]
        var labels: [String]

        /// An axis over [from, to] with about `targetTicks` ticks a round step apart (1, 2 or 5 times a power of ten,
        /// at least `minimumStep`). `widenToTicks` stretches the range out to whole steps. A range that is empty, or
        /// tiny next to its values (under 1e-9 of them), is centred instead: from - 2 steps to from + 2 steps.
        init(from: Double, to: Double, targetTicks: Int, minimumStep: Double, widenToTicks: Bool) {
            let magnitude = max(abs(from), abs(to))
            if to - from <= 1e-9 * magnitude || to <= from {
                let centre = (from + to) / 2
                step = max(Axis.roundStep(magnitude == 0 ? 0.5 : magnitude * 0.05), minimumStep)
                low = centre - 2 * step
                high = centre + 2 * step
            } else {
                step = max(Axis.roundStep((to - from) / Double(max(targetTicks - 1, 1))), minimumStep)
                low = widenToTicks ? (from / step).rounded(.down) * step : from
                high = widenToTicks ? (to / step).rounded(.up) * step : to
            }
            let first = (low / step - 1e-9).rounded(.up), last = (high / step + 1e-9).rounded(.down)
            var ticks: [Double] = []
            if first.isFinite, last.isFinite, last - first < 100 {
                var index = first
                while index <= last { ticks.append(index * step); index += 1 }
            }
            self.ticks = ticks
            let step = self.step
            labels = ticks.map { Axis.label($0, step: step) }
        }

        /// The round number (1, 2 or 5 times a power of ten) nearest `raw` on a log scale.
        static func roundStep(_ raw: Double) -> Double {
            guard raw > 0, raw.isFinite else { return 1 }
            let power = (log10(raw)).rounded(.down)
            let fraction = raw / pow(10, power)
            let mantissa: Double = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10
            return mantissa * pow(10, power)
        }

        /// A tick value written as briefly as its step allows: "0", "0.5", "1", "1.5"; scientific past a million
        /// or below a millionth.
        static func label(_ value: Double, step: Double) -> String {
            let decimals = max(0, -Int((log10(step) + 1e-9).rounded(.down)))
            if abs(value) >= 1e6 || decimals > 6 { return String(format: "%.3g", value) }
            var text = String(format: "%.\(decimals)f", value)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            return text == "-0" ? "0" : text
        }
    }

    /// Per-pixel coverage in 0...1 for one anti-aliased shape, blended into an image once complete.
    struct CoverageMask {
        let width: Int, height: Int
        var coverage: [Float]

        init(width: Int, height: Int) {
            self.width = width; self.height = height
            coverage = [Float](repeating: 0, count: width * height)
        }

        /// Adds a round-capped stroke of half-width `radius` from `from` to `to` (pixel units; pixel i spans [i, i + 1)),
        /// each pixel keeping the larger of its coverages. A zero-length stroke is a dot.
        mutating func stroke(from: (x: Double, y: Double), to: (x: Double, y: Double), radius: Double) {
            let reach = radius + 1
            let left = max(Int((min(from.x, to.x) - reach).rounded(.down)), 0)
            let right = min(Int((max(from.x, to.x) + reach).rounded(.up)), width - 1)
            let top = max(Int((min(from.y, to.y) - reach).rounded(.down)), 0)
            let bottom = min(Int((max(from.y, to.y) + reach).rounded(.up)), height - 1)
            guard left <= right, top <= bottom else { return }
            let dx = to.x - from.x, dy = to.y - from.y, lengthSquared = dx * dx + dy * dy
            for y in top...bottom {
                let centreY = Double(y) + 0.5
                for x in left...right {
                    let centreX = Double(x) + 0.5
                    // Distance from the pixel centre to the nearest point of the segment.
                    var t = lengthSquared > 0 ? ((centreX - from.x) * dx + (centreY - from.y) * dy) / lengthSquared : 0
                    t = min(max(t, 0), 1)
                    let distance = ((centreX - from.x - t * dx) * (centreX - from.x - t * dx)
                                    + (centreY - from.y - t * dy) * (centreY - from.y - t * dy)).squareRoot()
                    let value = Float(min(max(radius + 0.5 - distance, 0), 1))
                    let offset = y * width + x
                    if value > coverage[offset] { coverage[offset] = value }
                }
            }
        }

        /// Mixes `color` into `image` by this mask.
        func blend(_ color: [UInt8], into image: inout Image) {
            let value = image.resolveColor(color)
            for y in 0..<min(height, image.height) {
                for x in 0..<min(width, image.width) where coverage[y * width + x] > 0 {
                    image.blendPixel(x: x, y: y, value, coverage: Double(coverage[y * width + x]))
                }
            }
        }
    }
}
