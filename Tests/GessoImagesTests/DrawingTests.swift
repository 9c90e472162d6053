import Testing
@testable import GessoImages

/// The pixel at (x, y) as its channel values.
private func pixel(_ image: Image, _ x: Int, _ y: Int) -> [UInt8] {
    let offset = (y * image.width + x) * image.channels
    return Array(image.pixels[offset..<offset + image.channels])
}

/// (x, y) of every pixel where `a` and `b` differ; they must have the same size.
private func changedPixels(_ a: Image, _ b: Image) -> [(x: Int, y: Int)] {
    precondition(a.width == b.width && a.height == b.height && a.channels == b.channels, "changedPixels: sizes differ")
    var changed: [(x: Int, y: Int)] = []
    for y in 0..<a.height {
        for x in 0..<a.width where pixel(a, x, y) != pixel(b, x, y) { changed.append((x, y)) }
    }
    return changed
}

/// How many pixels in the rectangle satisfy `test`.
private func count(_ image: Image, x: Int = 0, y: Int = 0, width: Int? = nil, height: Int? = nil,
                   where test: ([UInt8]) -> Bool) -> Int {
    var total = 0
    for row in y..<(y + (height ?? image.height - y)) {
        for column in x..<(x + (width ?? image.width - x)) where test(pixel(image, column, row)) { total += 1 }
    }
    return total
}

/// Luma of an RGB pixel.
private func brightness(_ rgb: [UInt8]) -> Int { Int(Image.luma(rgb)) }

@Suite struct DrawingFontTests {
    @Test func textWidthIsOneCellPerCharacter() {
        #expect(BitmapFont.cellWidth == 6 && BitmapFont.cellHeight == 9)
        #expect(BitmapFont.textWidth("") == 0)
        #expect(BitmapFont.textWidth("abc") == 18)              // 3 cells of 6
        #expect(BitmapFont.textWidth("abc", scale: 2) == 36)    // 3 cells of 12
        #expect(BitmapFont.textWidth("é✓") == 12)               // two Characters, each drawn as '?'
    }

    @Test func textChangesPixelsOnlyInsideItsBox() {
        for scale in [1, 3] {
            let blank = Image(width: 120, height: 50, channels: 3, fill: 255)
            var image = blank
            let text = "Hi, B@g!"
            BitmapFont.draw(text, into: &image, x: 7, y: 5, color: [0], scale: scale)
            let changed = changedPixels(blank, image)
            #expect(changed.count > 20 * scale * scale, "scale \(scale): too few pixels drawn")
            let boxRight = 7 + BitmapFont.textWidth(text, scale: scale), boxBottom = 5 + BitmapFont.cellHeight * scale
            #expect(changed.allSatisfy { $0.x >= 7 && $0.x < boxRight && $0.y >= 5 && $0.y < boxBottom }, "scale \(scale)")
            #expect(changed.allSatisfy { pixel(image, $0.x, $0.y) == [0, 0, 0] }, "one grey value fills all three channels")
        }
    }

    @Test func glyphsDifferAndUnknownCharactersDrawAsQuestionMarks() {
        func drawn(_ text: String) -> Image {
            var image = Image(width: 12, height: 9, channels: 1, fill: 0)
            BitmapFont.draw(text, into: &image, x: 0, y: 0, color: [255])
            return image
        }
        #expect(drawn("A") != drawn("B"))
        #expect(drawn("o") != drawn("0"))
        #expect(drawn("é") == drawn("?"))
        #expect(drawn("\n") == drawn("?"))
        #expect(drawn(" ").pixels.allSatisfy { $0 == 0 })
        // Every printable character other than space has ink, and no two glyphs are the same.
        let glyphs = (33...126).map { drawn(String(Character(Unicode.Scalar(UInt8($0))))).pixels }
        #expect(glyphs.allSatisfy { $0.contains(255) })
        #expect(Set(glyphs).count == glyphs.count)
    }

    @Test func textIsClippedAtTheEdges() {
        var image = Image(width: 10, height: 6, channels: 4, fill: 0)
        BitmapFont.draw("WWW", into: &image, x: -4, y: -3, color: [200, 10, 10], scale: 2)
        let inked = count(image) { $0 != [0, 0, 0, 0] }
        #expect(inked > 0)
        // An RGB colour on an RGBA image is opaque.
        #expect(count(image) { $0 == [200, 10, 10, 255] } == inked)
    }

    @Test func verticalTextStaysInItsTurnedBox() {
        let blank = Image(width: 40, height: 60, channels: 1, fill: 0)
        var image = blank
        BitmapFont.drawVertical("abc", into: &image, x: 5, y: 10, color: [255])
        let changed = changedPixels(blank, image)
        #expect(!changed.isEmpty)
        #expect(changed.allSatisfy { $0.x >= 5 && $0.x < 5 + 9 && $0.y >= 10 && $0.y < 10 + 18 })
    }

    @Test func truncationEndsInDots() {
        #expect(BitmapFont.truncated("short", toWidth: 60) == "short")
        #expect(BitmapFont.truncated("a much longer caption", toWidth: 60) == "a much ...")   // 10 cells of 6
        #expect(BitmapFont.truncated("abcdef", toWidth: 18) == "abc")                      // no room for dots
    }
}

@Suite struct DrawingShapeTests {
    @Test func rectanglesAreClipped() {
        var image = Image(width: 4, height: 4, channels: 1, fill: 0)
        image.fillRectangle(x: -2, y: -2, width: 5, height: 5, color: [9])
        // Columns and rows -2...2 requested; 0...2 exist: 3 x 3 pixels.
        #expect(count(image) { $0 == [9] } == 9)
        #expect(pixel(image, 2, 2) == [9] && pixel(image, 3, 2) == [0])
        image.fillRectangle(x: 10, y: 10, width: 5, height: 5, color: [7])
        image.fillRectangle(x: 1, y: 1, width: -3, height: 2, color: [7])
        #expect(count(image) { $0 == [7] } == 0)
    }

    @Test func linesCoverTheirEndsAndThickness() {
        var image = Image(width: 20, height: 20, channels: 3, fill: 0)
        image.drawLine(x0: 2, y0: 10, x1: 17, y1: 10, color: [255, 0, 0], thickness: 3)
        // Rows 9...11, columns 1...18 (the 3 x 3 stamp reaches one past each end).
        #expect(count(image) { $0 == [255, 0, 0] } == 3 * 18)
        #expect(pixel(image, 1, 9) == [255, 0, 0] && pixel(image, 18, 11) == [255, 0, 0] && pixel(image, 5, 12) == [0, 0, 0])

        var diagonal = Image(width: 8, height: 8, channels: 1, fill: 0)
        diagonal.drawLine(x0: 7, y0: 7, x1: 0, y1: 0, color: [1])
        #expect((0..<8).allSatisfy { pixel(diagonal, $0, $0) == [1] } && count(diagonal) { $0 == [1] } == 8)

        // Ends far outside: clipped, and finishes at once when nothing can show.
        diagonal.drawLine(x0: -1_000_000, y0: 3, x1: 1_000_000, y1: 3, color: [2])
        #expect(count(diagonal) { $0 == [2] } == 8)
        diagonal.drawLine(x0: -5_000_000, y0: -5_000_000, x1: -4_000_000, y1: 5_000_000, color: [3])
        #expect(count(diagonal) { $0 == [3] } == 0)
    }

    @Test func pasteConvertsChannelsAndComposites() {
        var canvas = Image(width: 4, height: 2, channels: 3, fill: 255)
        canvas.paste(Image(width: 1, height: 1, channels: 1, fill: 40), x: 0, y: 0)
        #expect(pixel(canvas, 0, 0) == [40, 40, 40])
        // RGBA (0, 0, 0, 128) over white: 255 * (1 - 128/255) = 127.
        canvas.paste(Image(width: 1, height: 1, channels: 4, pixels: [0, 0, 0, 128]), x: 1, y: 0)
        #expect(pixel(canvas, 1, 0) == [127, 127, 127])
        // Clipped: only the top-left pixel of a 2 x 2 lands at the bottom-right corner.
        canvas.paste(Image(width: 2, height: 2, channels: 3, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), x: 3, y: 1)
        #expect(pixel(canvas, 3, 1) == [1, 2, 3])

        var grey = Image(width: 1, height: 1, channels: 1, fill: 0)
        grey.paste(Image(width: 1, height: 1, channels: 3, pixels: [255, 0, 0]), x: 0, y: 0)
        #expect(grey.pixels == [76])   // (299 * 255 + 500) / 1000 = 76.7 -> 76
        var rgba = Image(width: 1, height: 1, channels: 4, fill: 0)
        rgba.paste(Image(width: 1, height: 1, channels: 3, pixels: [1, 2, 3]), x: 0, y: 0)
        #expect(rgba.pixels == [1, 2, 3, 255])
    }
}

@Suite struct DrawingGridTests {
    let colors: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255]]

    @Test func fiveImagesInThreeColumnsMakeTwoRows() {
        let images = colors.map { Image(width: 10, height: 8, channels: 3, pixels: Array([[UInt8]](repeating: $0, count: 80).joined())) }
        let sheet = ImageGrid.make(images, columns: 3, padding: 4, background: 200)
        #expect(sheet.channels == 3)
        #expect(sheet.width == 3 * 10 + 4 * 4 && sheet.height == 2 * 8 + 3 * 4)   // cells plus padding between and around
        for (index, color) in colors.enumerated() {
            let centre = (x: 4 + (index % 3) * 14 + 5, y: 4 + (index / 3) * 12 + 4)
            #expect(pixel(sheet, centre.x, centre.y) == color, "cell \(index)")
        }
        #expect(pixel(sheet, 0, 0) == [200, 200, 200])
        #expect(pixel(sheet, sheet.width - 8, sheet.height - 8) == [200, 200, 200], "the sixth cell is empty")
    }

    @Test func fewerImagesThanColumnsMakeOneShortRow() {
        let sheet = ImageGrid.make([Image(width: 5, height: 5, channels: 1, fill: 0)] + [Image(width: 5, height: 5, channels: 1, fill: 0)],
                                   columns: 8, padding: 2)
        #expect(sheet.width == 2 * 5 + 3 * 2 && sheet.height == 5 + 2 * 2)
    }

    @Test func smallerImagesAreCentredAndGreyBecomesRGB() {
        let big = Image(width: 12, height: 12, channels: 3, fill: 10)
        let small = Image(width: 4, height: 2, channels: 1, fill: 90)
        let sheet = ImageGrid.make([big, small], columns: 2, padding: 3, background: 255)
        let cell = (x: 3 + 12 + 3, y: 3)
        #expect(pixel(sheet, cell.x + 4, cell.y + 5) == [90, 90, 90])     // (12 - 4) / 2 = 4, (12 - 2) / 2 = 5
        #expect(pixel(sheet, cell.x + 7, cell.y + 6) == [90, 90, 90])
        #expect(pixel(sheet, cell.x + 3, cell.y + 5) == [255, 255, 255])
        #expect(pixel(sheet, cell.x + 4, cell.y + 4) == [255, 255, 255])
    }

    @Test func captionsSitUnderEachImageWithinTheirCell() {
        let images = (0..<4).map { _ in Image(width: 30, height: 20, channels: 1, fill: 255) }
        let captions = ["one", "two", "a caption far too long for its cell", "4"]
        let sheet = ImageGrid.make(images, columns: 2, captions: captions, background: 255)
        let layout = ImageGrid.Layout(images: images, columns: 2, hasCaptions: true, hasBorders: false, padding: 4, captionScale: 1)
        #expect(sheet.width == layout.width && sheet.height == layout.height)
        #expect(layout.cellHeight == 20 + 2 + 9)
        for index in 0..<4 {
            let cell = layout.cellOrigin(index)
            let dark = count(sheet, x: cell.x, y: layout.captionTop(index), width: layout.cellWidth,
                             height: BitmapFont.cellHeight) { $0[0] < 128 }
            #expect(dark > 3, "caption \(index)")
        }
        // Nothing dark outside the caption lines (images are white, and the long caption is cut to its cell).
        let captionRows = Set((0..<4).flatMap { index in (layout.captionTop(index)..<layout.captionTop(index) + 9).map { $0 } })
        var stray = 0
        for y in 0..<sheet.height {
            for x in 0..<sheet.width where pixel(sheet, x, y)[0] < 128 {
                let column = (x - 4) / (layout.cellWidth + 4), inCell = (x - 4) % (layout.cellWidth + 4) < layout.cellWidth
                if !captionRows.contains(y) || !inCell || column > 1 || x < 4 { stray += 1 }
            }
        }
        #expect(stray == 0)
    }

    @Test func bordersHaveTheirColour() {
        let images = (0..<3).map { _ in Image(width: 24, height: 24, channels: 3, fill: 128) }
        let green: [UInt8] = [0, 180, 0], red: [UInt8] = [220, 0, 0]
        let sheet = ImageGrid.make(images, columns: 3, borders: [green, nil, red], background: 255)
        let layout = ImageGrid.Layout(images: images, columns: 3, hasCaptions: false, hasBorders: true, padding: 4, captionScale: 1)
        #expect(layout.border == 2)   // 24 / 24 = 1, raised to the 2-pixel minimum
        for (index, want) in [green, [255, 255, 255], red].enumerated() {
            let origin = layout.imageOrigin(index, width: 24, height: 24)
            #expect(pixel(sheet, origin.x - 1, origin.y + 10) == want, "left edge of \(index)")
            #expect(pixel(sheet, origin.x + 10, origin.y + 24 + 1) == want, "bottom edge of \(index)")
            #expect(pixel(sheet, origin.x + 10, origin.y + 10) == [128, 128, 128], "image \(index)")
        }
    }

    @Test func noImagesGiveASmallSheet() {
        let sheet = ImageGrid.make([], columns: 4)
        #expect(sheet.width > 0 && sheet.height > 0 && sheet.pixels.contains { $0 < 128 })
    }
}

@Suite struct DrawingChartTests {
    @Test func roundTicks() {
        // (1.4 - 0.2) / 3 = 0.4 rounds to a step of 0.5; the range widens to 0...1.5.
        let axis = Chart.Axis(from: 0.2, to: 1.4, targetTicks: 4, minimumStep: 0, widenToTicks: true)
        #expect(axis.step == 0.5 && axis.low == 0 && axis.high == 1.5)
        #expect(axis.labels == ["0", "0.5", "1", "1.5"])
        // Steps of the index axis stay whole; the exact range is kept without widening.
        let steps = Chart.Axis(from: 1, to: 3, targetTicks: 10, minimumStep: 1, widenToTicks: false)
        #expect(steps.labels == ["1", "2", "3"] && steps.low == 1 && steps.high == 3)
        #expect(Chart.Axis(from: -0.3, to: 0.3, targetTicks: 4, minimumStep: 0, widenToTicks: true).labels == ["-0.4", "-0.2", "0", "0.2", "0.4"])
        #expect(Chart.Axis.label(2_000_000, step: 1_000_000) == "2e+06")
        // A constant range is centred on its value.
        let flat = Chart.Axis(from: 0.7, to: 0.7, targetTicks: 5, minimumStep: 0, widenToTicks: true)
        #expect(abs((flat.low + flat.high) / 2 - 0.7) <= 1e-12)   // exact but for rounding of 0.7 +- 0.1
        #expect(flat.low < 0.7 && flat.high > 0.7)
    }

    @Test func chartHasItsSizeAndSeriesColours() {
        let rising = (0..<50).map { Double($0) / 49 }, falling = rising.map { 1 - $0 * $0 }
        let chart = Chart.lines([("rising", rising), ("falling", falling)], title: "Two curves", xLabel: "step", yLabel: "value",
                                width: 500, height: 300)
        #expect(chart.width == 500 && chart.height == 300 && chart.channels == 3)
        #expect(count(chart) { $0 != [255, 255, 255] } > 2000, "not blank")
        #expect(count(chart) { brightness($0) < 100 } > 200, "has dark text")
        for index in 0..<2 {
            // The legend swatch alone is 16 x 3 pixels: the line must add many more.
            #expect(count(chart) { $0 == Chart.seriesColor(index) } > 300, "series \(index)")
        }
        #expect(Chart.seriesColor(0) != Chart.seriesColor(1))
        #expect(Set((0..<30).map { Chart.seriesColor($0) }).count == 30, "distinct colours past the palette")
    }

    @Test func nonFiniteValuesAreSkipped() {
        let values: [Double] = [1, .nan, 2, .infinity, -.infinity, 3, .nan]
        let chart = Chart.lines([("gappy", values), ("none", [.nan, .nan])], xValues: [0, 1, 2, .nan, 4, 5], title: "Gaps",
                                xLabel: "x", yLabel: "y", width: 300, height: 200)
        #expect(chart.width == 300 && chart.height == 200)
        #expect(count(chart) { $0 == Chart.seriesColor(0) } > 100)
        let huge = Chart.lines([("huge", [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude, 0])],
                               title: "Huge", xLabel: "", yLabel: "")
        #expect(huge.width == 640 && huge.height == 400)
        let tiny = Chart.lines([("a", [1, 2, 3])], title: "A very long title that will never fit", xLabel: "x", yLabel: "y",
                               width: 30, height: 20)
        #expect(tiny.width == 30 && tiny.height == 20)
    }

    @Test func emptyInputSaysNoData() {
        for series in [[], [("nothing", [Double]())], [("all NaN", [Double.nan, .nan])]] as [[(name: String, values: [Double])]] {
            let chart = Chart.lines(series, title: "", xLabel: "", yLabel: "", width: 200, height: 150)
            #expect(chart.width == 200 && chart.height == 150)
            // "no data" at scale 2, grey 150, is the only mid-grey text.
            #expect(count(chart) { $0 == [150, 150, 150] } > 50)
        }
    }

    @Test func constantSeriesLiesAcrossTheMiddle() {
        let chart = Chart.lines([("flat", [Double](repeating: 0.7, count: 20))], title: "Flat", xLabel: "step", yLabel: "loss")
        let color = Chart.seriesColor(0)
        var rows: [Int] = []
        for y in 60..<chart.height { for x in 100..<600 where pixel(chart, x, y) == color { rows.append(y) } }
        #expect(!rows.isEmpty)
        let mean = Double(rows.reduce(0, +)) / Double(rows.count)
        #expect(mean > 0.4 * 400 && mean < 0.6 * 400, "mean row \(mean)")
    }
}

@Suite struct DrawingConfusionMatrixTests {
    func perfect(_ classes: Int) -> [[Int]] {
        (0..<classes).map { row in (0..<classes).map { $0 == row ? 10 + row : 0 } }
    }

    @Test func sizeGrowsWithClasses() {
        let labels = (0..<10).map { "c\($0)" }
        let eight = Chart.confusionMatrix(perfect(8), labels: Array(labels.prefix(8)), title: "M")
        let ten = Chart.confusionMatrix(perfect(10), labels: labels, title: "M")
        #expect(eight.channels == 3 && ten.channels == 3)
        // Two more 40-pixel cells each way (eight classes are already wider than the heading).
        #expect(ten.width == eight.width + 2 * 40 && ten.height == eight.height + 2 * 40)
        let two = Chart.confusionMatrix(perfect(2), labels: ["c0", "c1"], title: "M")
        #expect(two.height < eight.height && two.width <= eight.width)
    }

    @Test func diagonalOfAPerfectClassifierIsDarkest() {
        let counts = perfect(4), labels = ["cat", "dog", "a rather long label", "fox"]
        let image = Chart.confusionMatrix(counts, labels: labels, title: "Animals", cellSize: 32)
        let layout = Chart.ConfusionMatrixLayout(counts: counts, labels: labels, title: "Animals", cellSize: 32)
        #expect(image.width == layout.width && image.height == layout.height)
        #expect(layout.heading == "Animals  (accuracy 100.0%)")
        #expect(layout.columnLabelsTurned, "19 characters do not fit across 32 pixels")
        for row in 0..<4 {
            for column in 0..<4 {
                let origin = layout.cellOrigin(row: row, column: column)
                let shade = pixel(image, origin.x + 3, origin.y + 3)
                if row == column {
                    #expect(shade == Chart.blues(1), "diagonal \(row)")
                    let white = count(image, x: origin.x, y: origin.y, width: 32, height: 32) { $0 == [255, 255, 255] }
                    #expect(white > 5, "white count on the dark cell \(row)")
                } else {
                    #expect(brightness(shade) > brightness(Chart.blues(1)) + 100, "cell \(row), \(column)")
                    let dark = count(image, x: origin.x, y: origin.y, width: 32, height: 32) { $0 == [30, 30, 30] }
                    #expect(dark > 5, "dark '0' on the light cell \(row), \(column)")
                }
            }
        }
    }

    @Test func rowsAreNormalisedAndAccuracyIsInTheTitle() {
        // Row 0: 90 of 100 right; row 1: 1 of 2 right. Accuracy (90 + 1) / 102 = 89.2%.
        let counts = [[90, 10], [1, 1]]
        let layout = Chart.ConfusionMatrixLayout(counts: counts, labels: ["a", "b"], title: "T", cellSize: 40)
        #expect(layout.heading == "T  (accuracy 89.2%)")
        let image = Chart.confusionMatrix(counts, labels: ["a", "b"], title: "T")
        func shade(_ row: Int, _ column: Int) -> [UInt8] {
            let origin = layout.cellOrigin(row: row, column: column)
            return pixel(image, origin.x + 3, origin.y + 3)
        }
        #expect(shade(0, 0) == Chart.blues(0.9) && shade(1, 0) == Chart.blues(0.5) && shade(1, 1) == Chart.blues(0.5))
    }

    @Test func emptyRowsAndNoClassesDoNotCrash() {
        let image = Chart.confusionMatrix([[0, 0], [0, 3]], labels: ["x", "y"], title: "")
        #expect(image.width > 80)
        let none = Chart.confusionMatrix([], labels: [], title: "Nothing")
        #expect(none.width > 0 && none.height > 0)
        // "123456" is 6 x 6 - 1 = 35 pixels of ink, "123k" 23.
        #expect(Chart.countText(123_456, fitting: 38) == "123456" && Chart.countText(123_456, fitting: 30) == "123k")
        #expect(Chart.countText(123_456, fitting: 10) == nil)
    }
}
