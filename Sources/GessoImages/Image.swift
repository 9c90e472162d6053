import Foundation

/// An 8-bit image in memory: `height` rows of `width` pixels, `channels` interleaved bytes per pixel
/// (1 grey, 3 RGB, 4 RGBA), row-major, no padding between rows.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && [1, 3, 4].contains(channels) && pixels.count == width * height * channels,
                     "Image: \(width)x\(height)x\(channels) needs \(width * height * channels) bytes, got \(pixels.count)")
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    /// A blank image filled with one colour (`value` repeated over the channels).
    public init(width: Int, height: Int, channels: Int, fill value: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: value, count: width * height * channels))
    }
}
