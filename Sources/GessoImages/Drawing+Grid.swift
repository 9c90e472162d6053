/// Contact sheets: many images on one page, as a painter pins studies to a board.
public enum ImageGrid {
    /// A contact sheet of `images`, RGB (3 channels).
    ///
    /// Layout: rows of `min(columns, images.count)` cells, filled left to right, top to bottom. Every cell is as large as
    /// the largest image (plus room for a border when `borders` is given, and for one caption line when `captions` is);
    /// each image is centred in its cell; `padding` pixels separate cells and surround the sheet. So the sheet is
    /// `columns * cellWidth + (columns + 1) * padding` wide, and likewise in height for the rows.
    /// Grey images are repeated into RGB and RGBA ones composited over `background`.
    /// - Parameters:
    ///   - columns: cells per row, at least 1.
    ///   - captions: one line under each image (same count as `images`), cut with "..." to the cell width.
    ///   - borders: per image, a frame colour around it (e.g. green for right, red for wrong) or nil for none.
    ///   - background: grey level of the sheet; captions are dark on a light sheet and light on a dark one.
    ///   - captionScale: font scale of the captions.
    /// - Returns: the sheet; with no images, a small sheet saying "no images".
    public static func make(_ images: [Image], columns: Int, captions: [String]? = nil, borders: [[UInt8]?]? = nil,
                            padding: Int = 4, background: UInt8 = 255, captionScale: Int = 1) -> Image {
        precondition(columns >= 1, "ImageGrid.make: columns must be at least 1, got \(columns)")
        precondition(captions == nil || captions!.count == images.count,
                     "ImageGrid.make: \(captions?.count ?? 0) captions for \(images.count) images")
        precondition(borders == nil || borders!.count == images.count,
                     "ImageGrid.make: \(borders?.count ?? 0) borders for \(images.count) images")
        let textColor: [UInt8] = background < 128 ? [235] : [20]
        let padding = max(padding, 0)
        guard !images.isEmpty else {
            let message = "no images"
            var sheet = Image(width: BitmapFont.textWidth(message) + 2 * padding + 8,
                              height: BitmapFont.cellHeight + 2 * padding + 8, channels: 3, fill: background)
            BitmapFont.draw(message, into: &sheet, x: padding + 4, y: padding + 4, color: textColor)
            return sheet
        }
        let layout = Layout(images: images, columns: columns, hasCaptions: captions != nil, hasBorders: borders != nil,
                            padding: padding, captionScale: captionScale)
        var sheet = Image(width: layout.width, height: layout.height, channels: 3, fill: background)
        for (index, image) in images.enumerated() {
            let origin = layout.imageOrigin(index, width: image.width, height: image.height)
            if let color = borders?[index] {
                let b = layout.border
                sheet.fillRectangle(x: origin.x - b, y: origin.y - b, width: image.width + 2 * b,
                                    height: image.height + 2 * b, color: color)
                // Inside the frame the background shows again, so RGBA images composite over the sheet, not the frame.
                sheet.fillRectangle(x: origin.x, y: origin.y, width: image.width, height: image.height, color: [background])
            }
            sheet.paste(image, x: origin.x, y: origin.y)
            if let caption = captions?[index], !caption.isEmpty {
                let cell = layout.cellOrigin(index)
                let text = BitmapFont.truncated(caption, toWidth: layout.cellWidth, scale: layout.captionScale)
                let textX = cell.x + (layout.cellWidth - BitmapFont.textWidth(text, scale: layout.captionScale)) / 2
                BitmapFont.draw(text, into: &sheet, x: textX, y: layout.captionTop(index), color: textColor,
                                scale: layout.captionScale)
            }
        }
        return sheet
    }

    /// Where everything on a contact sheet goes (internal so that tests can find cells).
    struct Layout {
        let columns: Int, rows: Int, padding: Int
        /// Frame thickness around each image: 0 without borders, else 1/24 of the largest side, clamped to 2...6.
        let border: Int
        /// The largest image's width and height.
        let imageWidth: Int, imageHeight: Int
        /// Gap plus one text line under the image area, 0 without captions.
        let captionHeight: Int
        let captionScale: Int

        init(images: [Image], columns: Int, hasCaptions: Bool, hasBorders: Bool, padding: Int, captionScale: Int) {
            self.columns = min(columns, max(images.count, 1))
            rows = (images.count + self.columns - 1) / self.columns
            self.padding = padding
            imageWidth = images.map(\.width).max() ?? 0
            imageHeight = images.map(\.height).max() ?? 0
            border = hasBorders ? min(max(max(imageWidth, imageHeight) / 24, 2), 6) : 0
            self.captionScale = max(captionScale, 1)
            captionHeight = hasCaptions ? 2 + BitmapFont.cellHeight * self.captionScale : 0
        }

        var cellWidth: Int { imageWidth + 2 * border }
        var cellHeight: Int { imageHeight + 2 * border + captionHeight }
        var width: Int { columns * cellWidth + (columns + 1) * padding }
        var height: Int { rows * cellHeight + (rows + 1) * padding }

        /// Top-left corner of cell `index` (row-major).
        func cellOrigin(_ index: Int) -> (x: Int, y: Int) {
            (padding + (index % columns) * (cellWidth + padding), padding + (index / columns) * (cellHeight + padding))
        }

        /// Top-left corner of an image of the given size centred in the image area of cell `index`.
        func imageOrigin(_ index: Int, width: Int, height: Int) -> (x: Int, y: Int) {
            let cell = cellOrigin(index)
            return (cell.x + (cellWidth - width) / 2, cell.y + (imageHeight + 2 * border - height) / 2)
        }

        /// Top edge of the caption line of cell `index`.
        func captionTop(_ index: Int) -> Int { cellOrigin(index).y + imageHeight + 2 * border + 2 }
    }
}
