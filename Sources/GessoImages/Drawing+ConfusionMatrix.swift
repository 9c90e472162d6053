import Foundation

extension Chart {
    /// A confusion matrix (RGB, white background): which classes a classifier mistakes for which.
    ///
    /// Layout: a title line ending in the overall accuracy (the diagonal over the total); below it the matrix, row r
    /// for true class r and column c for predicted class c, `cellSize` pixels a cell. Each cell is shaded by its count
    /// over its row's total (white for none to dark blue for all, so rows of rare classes read as clearly as common
    /// ones) and shows its count, white on dark cells. Class labels sit left of the rows and under the columns
    /// (turned to read bottom to top when too wide for a cell), with "true class" and "predicted class" beside them.
    /// - Parameters:
    ///   - counts: `counts[t][p]` examples of true class t predicted as p; square, non-negative.
    ///   - labels: one name per class (cut with "..." past 24 characters).
    ///   - cellSize: side of a cell in pixels; counts too wide for a cell are shortened ("12k") or left out.
    public static func confusionMatrix(_ counts: [[Int]], labels: [String], title: String, cellSize: Int = 40) -> Image {
        let classes = counts.count
        precondition(counts.allSatisfy { $0.count == classes },
                     "Chart.confusionMatrix: counts must be square, got \(classes) rows of lengths \(counts.map(\.count))")
        precondition(labels.count == classes, "Chart.confusionMatrix: \(labels.count) labels for \(classes) classes")
        precondition(counts.allSatisfy { $0.allSatisfy { $0 >= 0 } }, "Chart.confusionMatrix: counts must be non-negative")
        let layout = ConfusionMatrixLayout(counts: counts, labels: labels, title: title, cellSize: cellSize)
        let cell = layout.cellSize, line = BitmapFont.cellHeight
        var image = Image(width: layout.width, height: layout.height, channels: 3, fill: 255)

        BitmapFont.draw(layout.heading, into: &image, x: (layout.width - BitmapFont.textWidth(layout.heading, scale: layout.headingScale)) / 2,
                        y: layout.margin, color: titleColor, scale: layout.headingScale)
        guard classes > 0 else {
            BitmapFont.draw("no data", into: &image, x: layout.margin, y: layout.matrixTop, color: [150])
            return image
        }

        // Cells, shaded by row-normalised count, with the count written in.
        for row in 0..<classes {
            let rowTotal = counts[row].reduce(0, +)
            for column in 0..<classes {
                let count = counts[row][column]
                let shade = blues(rowTotal > 0 ? Double(count) / Double(rowTotal) : 0)
                let origin = layout.cellOrigin(row: row, column: column)
                image.fillRectangle(x: origin.x, y: origin.y, width: cell, height: cell, color: shade)
                guard let text = countText(count, fitting: cell - 2), cell >= line else { continue }
                let ink: [UInt8] = Image.luma(shade) < 140 ? [255] : [30]
                BitmapFont.draw(text, into: &image, x: origin.x + (cell - BitmapFont.textWidth(text) + 1) / 2,
                                y: origin.y + (cell - line + 1) / 2, color: ink)
            }
        }
        // Hairlines between cells and around the matrix.
        let side = classes * cell
        for k in 0...classes {
            image.drawLine(x0: layout.matrixLeft + k * cell, y0: layout.matrixTop, x1: layout.matrixLeft + k * cell,
                           y1: layout.matrixTop + side, color: [215])
            image.drawLine(x0: layout.matrixLeft, y0: layout.matrixTop + k * cell, x1: layout.matrixLeft + side,
                           y1: layout.matrixTop + k * cell, color: [215])
        }

        // Class labels: right-aligned left of each row; under each column, turned when wider than a cell.
        let labelColor: [UInt8] = [60]
        for (index, label) in layout.labels.enumerated() {
            let centre = index * cell + cell / 2
            BitmapFont.draw(label, into: &image, x: layout.matrixLeft - 6 - BitmapFont.textWidth(label),
                            y: layout.matrixTop + centre - line / 2, color: labelColor)
            if layout.columnLabelsTurned {
                BitmapFont.drawVertical(label, into: &image, x: layout.matrixLeft + centre - line / 2,
                                        y: layout.matrixTop + side + 6, color: labelColor)
            } else {
                BitmapFont.draw(label, into: &image, x: layout.matrixLeft + centre - BitmapFont.textWidth(label) / 2,
                                y: layout.matrixTop + side + 6, color: labelColor)
            }
        }
        // Axis names.
        let trueName = "true class", predictedName = "predicted class"
        BitmapFont.drawVertical(trueName, into: &image, x: layout.matrixLeft - 6 - layout.labelWidth - 6 - line,
                                y: layout.matrixTop + (side - BitmapFont.textWidth(trueName)) / 2, color: titleColor)
        BitmapFont.draw(predictedName, into: &image, x: layout.matrixLeft + (side - BitmapFont.textWidth(predictedName)) / 2,
                        y: layout.matrixTop + side + 6 + layout.columnLabelHeight + 6, color: titleColor)
        return image
    }

    /// Where the parts of a confusion matrix go (internal so that tests can find cells).
    struct ConfusionMatrixLayout {
        let margin = 10
        let cellSize: Int
        /// Title and accuracy, e.g. "Fashion-MNIST  (accuracy 91.2%)", drawn at `headingScale`.
        let heading: String
        let headingScale: Int
        /// Class labels as drawn, and the widest one's width in pixels.
        let labels: [String]
        let labelWidth: Int
        /// Whether column labels read bottom to top, and the height of their band.
        let columnLabelsTurned: Bool
        let columnLabelHeight: Int
        let matrixLeft: Int, matrixTop: Int
        let width: Int, height: Int

        init(counts: [[Int]], labels: [String], title: String, cellSize: Int) {
            let classes = counts.count, line = BitmapFont.cellHeight
            self.cellSize = max(cellSize, 1)
            let total = counts.joined().reduce(0, +)
            let correct = (0..<classes).map { counts[$0][$0] }.reduce(0, +)
            let accuracy = total > 0 ? String(format: "accuracy %.1f%%", 100 * Double(correct) / Double(total)) : "accuracy n/a"
            heading = title.isEmpty ? accuracy : "\(title)  (\(accuracy))"
            self.labels = labels.map { BitmapFont.truncated($0, toWidth: 24 * BitmapFont.cellWidth) }
            labelWidth = self.labels.map { BitmapFont.textWidth($0) }.max() ?? 0
            columnLabelsTurned = labelWidth > self.cellSize
            columnLabelHeight = columnLabelsTurned ? labelWidth : line

            // Left of the matrix: margin, "true class" (turned), gap, row labels, gap.
            let left = margin + line + 6 + labelWidth + 6
            let side = classes * self.cellSize
            let contentWidth = max(left + side, left + (side + BitmapFont.textWidth("predicted class")) / 2) + margin
            // Large heading when it fits the matrix (or 600 pixels); the picture widens for it, matrix centred.
            headingScale = BitmapFont.textWidth(heading, scale: 2) + 2 * margin <= max(contentWidth, 600) ? 2 : 1
            width = max(contentWidth, BitmapFont.textWidth(heading, scale: headingScale) + 2 * margin)
            matrixLeft = left + (width - contentWidth) / 2
            matrixTop = margin + line * headingScale + 10
            height = matrixTop + side + 6 + columnLabelHeight + 6 + line + margin
        }

        /// Top-left corner of the cell for true class `row`, predicted class `column`.
        func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
            (matrixLeft + column * cellSize, matrixTop + row * cellSize)
        }
    }

    /// Matplotlib's "Blues" colour map at `fraction` in 0...1 (five of its stops, linearly between them).
    static func blues(_ fraction: Double) -> [UInt8] {
        let stops: [[Double]] = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]]
        let position = min(max(fraction, 0), 1) * Double(stops.count - 1)
        let lower = min(Int(position), stops.count - 2), t = position - Double(lower)
        return (0..<3).map { UInt8((stops[lower][$0] + (stops[lower + 1][$0] - stops[lower][$0]) * t).rounded()) }
    }

    /// `count` as text at most `width` pixels wide: in full, else shortened to thousands or millions, else nil.
    static func countText(_ count: Int, fitting width: Int) -> String? {
        var candidates = ["\(count)"]
        if count >= 1000 { candidates.append("\(count / 1000)k") }
        if count >= 1_000_000 { candidates.append("\(count / 1_000_000)M") }
        return candidates.first { BitmapFont.textWidth($0) - 1 <= width }
    }
}
