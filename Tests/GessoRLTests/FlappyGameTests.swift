import Testing
@testable import GessoRL
import TensorCore

struct FlappyGameTests {
    @Test func sameSeedSameGame() {
        var a = FlappyGame(seed: 5), b = FlappyGame(seed: 5), c = FlappyGame(seed: 6)
        #expect(a.pipes == b.pipes)
        #expect(a.pipes.map(\.gapCentre) != c.pipes.map(\.gapCentre))
        var g = RandomGenerator(seed: 1)
        for _ in 0..<400 {
            let flap = g.next() % 4 == 0
            #expect(a.advance(flap: flap) == b.advance(flap: flap))
            #expect(a.birdY == b.birdY && a.pipes == b.pipes && a.greyFrame() == b.greyFrame())
            if a.isOver { break }
        }
    }

    @Test func constructedCollisions() {
        let config = FlappyConfig()
        let x = config.birdX - config.pipeWidth / 2            // a pipe right around the bird
        func game(_ y: Float, gapCentre: Float = 0.5, pipeX: Float? = nil) -> FlappyGame {
            FlappyGame(config: config, birdY: y, pipes: [.init(x: pipeX ?? x, gapCentre: gapCentre)])
        }
        #expect(!game(0.5).collides(), "in the middle of the gap")
        let top = 0.5 - config.gap / 2, bottom = 0.5 + config.gap / 2
        #expect(game(top + config.birdRadius * 0.5).collides(), "touches the upper pipe")
        #expect(game(bottom - config.birdRadius * 0.5).collides(), "touches the lower pipe")
        #expect(!game(top + config.birdRadius * 1.1).collides(), "just clear of the upper pipe")
        // Beside a pipe (not over it) the height does not matter, only the pipe's corner distance.
        let clear = config.birdX + config.birdRadius * 1.05
        #expect(!game(0.2, pipeX: clear).collides(), "just left of a pipe")
        #expect(game(0.2, pipeX: config.birdX + config.birdRadius * 0.9).collides(), "its front edge touches the pipe")
        #expect(game(1 - config.birdRadius * 0.5, pipeX: 2).collides(), "on the ground")
        #expect(game(config.birdRadius * 0.5, pipeX: 2).collides(), "at the ceiling")
    }

    @Test func passingAPipeScoresOnce() {
        let config = FlappyConfig()
        var game = FlappyGame(config: config, birdY: 0.5, pipes: [.init(x: config.birdX - config.birdRadius - config.pipeWidth + 0.005, gapCentre: 0.5),
                                                               .init(x: 5, gapCentre: 0.5)])
        #expect(game.advance(flap: true) == .passedPipe)
        #expect(game.score == 1)
        #expect(game.advance(flap: false) == .alive)
        #expect(game.score == 1)
    }

    @Test func fallingEndsTheEpisode() {
        var env = FlappyEnvironment(seed: 2)
        _ = env.reset(seed: 2)
        var result = env.step(0)
        var steps = 1
        while !result.done && steps < 1000 { result = env.step(0); steps += 1 }
        #expect(result.done && steps < 100, "never flapping hits the ground")
        #expect(result.reward == env.rewards.crash, "the crash step gives only the crash reward (no pipe)")
    }

    @Test func framesAndStacking() {
        var env = FlappyEnvironment(seed: 3)
        let first = env.reset(seed: 3)
        #expect(first.count == 80 * 80)
        #expect(first.contains(255) && first.contains(128) && first.contains(0), "bird, pipes and background")
        var stack = FrameStack(first: first)
        #expect(stack.state.shape == [1, 80, 80, 4])
        let second = env.step(1).frame
        stack.push(second)
        let s = stack.state.scalars
        // Channel 3 is the newest frame, channels 0-2 still the first.
        for p in stride(from: 0, to: 6400, by: 97) {
            #expect(s[p * 4 + 3] == Float(second[p]) / 255 && s[p * 4] == Float(first[p]) / 255)
        }
        #expect(env.game.rgbFrame(side: 120).count == 120 * 120 * 3)
    }
}
