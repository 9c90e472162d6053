import TensorCore

/// A Flappy-Bird-like side scroller, deterministic for a seed. The world is a unit square: x to the right, y down
/// (0 is the top, 1 the ground). The bird stays at `birdX`; pipes scroll left at `speed` per frame, each with a gap
/// of `gap` centred at a random height. Crashing into a pipe, the ground or the ceiling ends the episode.
public struct FlappyConfig: Codable, Equatable, Sendable {
    /// Gap height as a fraction of the screen.
    public var gap: Float = 0.36
    /// Scroll speed, screen widths per frame.
    public var speed: Float = 0.01
    /// Horizontal distance between pipes, screen widths.
    public var pipeSpacing: Float = 0.5
    public var pipeWidth: Float = 0.14
    /// The lowest and highest gap centre.
    public var gapCentreRange: ClosedRange<Float> = 0.32...0.68
    public var gravity: Float = 0.0016
    /// The vertical speed a flap sets (negative: up).
    public var flapVelocity: Float = -0.022
    public var maxFallSpeed: Float = 0.03
    public var birdX: Float = 0.25
    public var birdRadius: Float = 0.035
    /// Where the first pipe starts (screen widths from the left edge).
    public var firstPipeX: Float = 0.75

    public init() {}

    /// A named difficulty: "easy" (wide gaps, slow), "normal" (the default) or "hard" (narrow gaps, fast).
    public init?(difficulty: String) {
        self.init()
        switch difficulty {
        case "easy": gap = 0.44; speed = 0.008; gapCentreRange = 0.38...0.62
        case "normal": break
        case "hard": gap = 0.28; speed = 0.013; gapCentreRange = 0.25...0.75
        default: return nil
        }
    }
}

public struct FlappyGame: Sendable {
    public struct Pipe: Equatable, Sendable {
        /// Left edge, screen widths.
        public var x: Float
        public var gapCentre: Float
        public var passed = false
    }

    /// What one frame did.
    public enum Event: Equatable, Sendable { case alive, passedPipe, crashed }

    public let config: FlappyConfig
    public private(set) var birdY: Float = 0.5
    public private(set) var birdVelocity: Float = 0
    public private(set) var pipes: [Pipe] = []
    public private(set) var frame = 0
    /// Pipes passed in this episode.
    public private(set) var score = 0
    public private(set) var isOver = false
    private var random: RandomGenerator

    public init(config: FlappyConfig = FlappyConfig(), seed: UInt64) {
        self.config = config
        random = RandomGenerator(seed: seed)
        var x = config.firstPipeX
        while x < 1 + config.pipeSpacing {
            pipes.append(Pipe(x: x, gapCentre: nextGapCentre()))
            x += config.pipeSpacing
        }
    }

    /// A game in a given situation (for tests and constructed cases).
    public init(config: FlappyConfig = FlappyConfig(), birdY: Float, birdVelocity: Float = 0, pipes: [Pipe], seed: UInt64 = 0) {
        self.config = config
        random = RandomGenerator(seed: seed)
        self.birdY = birdY; self.birdVelocity = birdVelocity; self.pipes = pipes
    }

    private mutating func nextGapCentre() -> Float {
        let r = config.gapCentreRange
        return r.lowerBound + (r.upperBound - r.lowerBound) * random.nextUnitFloat()
    }

    /// Advances one frame: a flap sets the bird's vertical speed, gravity pulls, pipes scroll.
    @discardableResult
    public mutating func advance(flap: Bool) -> Event {
        guard !isOver else { return .crashed }
        frame += 1
        birdVelocity = flap ? config.flapVelocity : min(birdVelocity + config.gravity, config.maxFallSpeed)
        birdY += birdVelocity
        var event = Event.alive
        for i in pipes.indices {
            pipes[i].x -= config.speed
            if !pipes[i].passed && pipes[i].x + config.pipeWidth < config.birdX - config.birdRadius {
                pipes[i].passed = true
                score += 1
                event = .passedPipe
            }
        }
        if let first = pipes.first, first.x + config.pipeWidth < 0 {
            pipes.removeFirst()
            pipes.append(Pipe(x: pipes.last!.x + config.pipeSpacing, gapCentre: nextGapCentre()))
        }
        if collides() { isOver = true; return .crashed }
        return event
    }

    /// True when the bird touches the ground, the ceiling or a pipe (a circle against rectangles).
    public func collides() -> Bool {
        let r = config.birdRadius, bx = config.birdX, by = birdY
        if by + r >= 1 || by - r <= 0 { return true }
        for p in pipes {
            let top = p.gapCentre - config.gap / 2, bottom = p.gapCentre + config.gap / 2
            for (y0, y1) in [(Float(-1), top), (bottom, Float(2))] {
                let cx = Swift.min(Swift.max(bx, p.x), p.x + config.pipeWidth)
                let cy = Swift.min(Swift.max(by, y0), y1)
                if (bx - cx) * (bx - cx) + (by - cy) * (by - cy) < r * r { return true }
            }
        }
        return false
    }

    // MARK: Rendering

    /// The network's view: `side` x `side` grey bytes, row-major, black background, pipes 128, bird 255.
    public func greyFrame(side: Int = 80) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: side * side)
        let s = Float(side)
        for p in pipes {
            let x0 = Swift.max(0, Int((p.x * s).rounded())), x1 = Swift.min(side, Int(((p.x + config.pipeWidth) * s).rounded()))
            guard x0 < x1 else { continue }
            let top = Int(((p.gapCentre - config.gap / 2) * s).rounded())
            let bottom = Int(((p.gapCentre + config.gap / 2) * s).rounded())
            for y in 0..<side where y < top || y >= bottom {
                for x in x0..<x1 { pixels[y * side + x] = 128 }
            }
        }
        fillCircle(&pixels, side: side, value: 255)
        return pixels
    }

    private func fillCircle(_ pixels: inout [UInt8], side: Int, value: UInt8) {
        let s = Float(side), r = config.birdRadius * s, cx = config.birdX * s, cy = birdY * s
        let y0 = Swift.max(0, Int(cy - r)), y1 = Swift.min(side - 1, Int(cy + r))
        let x0 = Swift.max(0, Int(cx - r)), x1 = Swift.min(side - 1, Int(cx + r))
        guard y0 <= y1 && x0 <= x1 else { return }
        for y in y0...y1 {
            for x in x0...x1 {
                let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy
                if dx * dx + dy * dy <= r * r { pixels[y * side + x] = value }
            }
        }
    }

    /// The people's view: `side` x `side` RGB bytes (sky, green pipes with a rim, a yellow bird with an eye, ground).
    public func rgbFrame(side: Int = 240) -> [UInt8] {
        let s = Float(side)
        var rgb = [UInt8](repeating: 0, count: side * side * 3)
        func put(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
            guard x >= 0 && x < side && y >= 0 && y < side else { return }
            let i = (y * side + x) * 3
            rgb[i] = c.0; rgb[i + 1] = c.1; rgb[i + 2] = c.2
        }
        for y in 0..<side {
            let t = Float(y) / s
            let sky = (UInt8(110 + 60 * t), UInt8(180 + 40 * t), UInt8(235))
            for x in 0..<side { put(x, y, sky) }
        }
        for p in pipes {
            let x0 = Int((p.x * s).rounded()), x1 = Int(((p.x + config.pipeWidth) * s).rounded())
            let top = Int(((p.gapCentre - config.gap / 2) * s).rounded())
            let bottom = Int(((p.gapCentre + config.gap / 2) * s).rounded())
            for y in 0..<side where y < top || y >= bottom {
                for x in x0..<x1 {
                    let rim = x - x0 < 2 || x1 - x <= 2 || abs(y - top) < 3 || abs(y - bottom) < 3
                    put(x, y, rim ? (30, 110, 30) : (80, 190, 60))
                }
            }
        }
        let r = config.birdRadius * s, cx = config.birdX * s, cy = birdY * s
        for y in Int(cy - r - 1)...Int(cy + r + 1) {
            for x in Int(cx - r - 1)...Int(cx + r + 1) {
                let dx = Float(x) + 0.5 - cx, dy = Float(y) + 0.5 - cy, d2 = dx * dx + dy * dy
                if d2 <= r * r { put(x, y, d2 > (r - 1.5) * (r - 1.5) ? (120, 80, 0) : (250, 205, 40)) }
            }
        }
        let ex = cx + r * 0.35, ey = cy - r * 0.3
        for y in Int(ey - 2)...Int(ey + 1) { for x in Int(ex - 1)...Int(ex + 2) { put(x, y, (20, 20, 20)) } }
        return rgb
    }
}
