import ArgumentParser
import Foundation
import GessoImages
import GessoModels
import GessoNN
import GessoRL
import TensorCore

struct DQN: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dqn", abstract: "The lecture's DQN: createNetwork() learns a Flappy-Bird-like game from pixels.",
        subcommands: [DQNTrain.self, DQNPlay.self])
}

struct DQNTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the agent (deep Q-learning with replay and a target network).",
        discussion: """
        Examples:
          gesso dqn train --minutes 30 --out runs/flappy
          gesso dqn train --resume --minutes 10 --out runs/flappy
          gesso dqn play --run runs/flappy --episodes 20 --gif flappy.gif
        The network is the lecture's createNetwork(): four stacked 80x80 grey frames -> Q-values of "do nothing"
        and "flap". Writes scores.png, metrics.csv and checkpoint.safetensors to the run folder; Ctrl-C saves and stops.
        """)

    @Option(help: "Train for this many minutes.") var minutes: Double?
    @Option(help: "Train for this many agent steps (total, counting earlier sessions of the run).") var steps: Int?
    @Option(help: "Seed for the network, the game and exploration.") var seed: UInt64 = 1
    @Option(help: "The run folder.") var out: String
    @Flag(help: "Continue the run in --out.") var resume = false
    @Option(help: "Game difficulty: easy, normal or hard.") var difficulty = "normal"
    @Option(help: "Replay capacity in agent steps (6.4 KB each).") var replay = DQNConfig().replayCapacity
    @Option(help: "adam or rmsprop.") var optimizer = "adam"
    @Option(help: "Learning rate.") var learningRate = DQNConfig().learningRate
    @Option(help: "Agent steps over which exploration falls from 1 to 0.05.") var epsilonSteps = DQNConfig().epsilonSteps
    @Option(help: "Agent steps between target-network syncs.") var targetSync = DQNConfig().targetSync
    @Option(help: "Frames per agent step (the action repeats).") var frameSkip = DQNConfig().frameSkip
    @Option(help: "Random steps before learning starts.") var learningStarts = DQNConfig().learningStarts

    func validate() throws {
        guard minutes != nil || steps != nil else { throw ValidationError("say how long: --minutes M or --steps N") }
        if let m = minutes, !(m > 0) { throw ValidationError("--minutes must be positive") }
        if let s = steps, s < 1 { throw ValidationError("--steps must be at least 1") }
        guard FlappyConfig(difficulty: difficulty) != nil else { throw ValidationError("--difficulty must be easy, normal or hard") }
        guard optimizer == "adam" || optimizer == "rmsprop" else { throw ValidationError("--optimizer must be adam or rmsprop") }
        guard replay >= 1000 else { throw ValidationError("--replay must be at least 1000") }
        guard learningRate > 0, epsilonSteps >= 1, targetSync >= 1, (1...8).contains(frameSkip), learningStarts >= 32 else {
            throw ValidationError("--learning-rate, --epsilon-steps and --target-sync must be positive, --frame-skip 1 to 8, --learning-starts at least 32")
        }
    }

    func run() throws {
        StopRequest.install()
        let folder = URL(fileURLWithPath: out)
        let checkpointURL = folder.appendingPathComponent("checkpoint.safetensors")
        var trainer: DQNTrainer
        if resume {
            guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
                fail("\(checkpointURL.path) does not exist: there is no run to resume in \(folder.path). Start one without --resume.")
            }
            do { trainer = try DQNCheckpoint.restore(from: checkpointURL) } catch { fail("\(error)") }
            print("Resuming \(folder.path) at step \(trainer.step) (\(trainer.episodes.count) episodes); the replay memory " +
                  "refills with \(trainer.config.learningStarts) steps first.")
        } else {
            if FileManager.default.fileExists(atPath: checkpointURL.path) {
                fail("\(folder.path) already holds a run. Continue it with --resume, or choose another --out.")
            }
            do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
            catch { fail("cannot create the run folder \(folder.path): \(error.localizedDescription)") }
            var config = DQNConfig()
            config.difficulty = difficulty; config.replayCapacity = replay; config.learningRate = learningRate
            config.optimizer = optimizer == "adam" ? .adam : .rmsprop
            config.epsilonSteps = epsilonSteps; config.targetSync = targetSync; config.frameSkip = frameSkip
            config.learningStarts = learningStarts
            trainer = DQNTrainer(config: config, seed: seed)
            try write(Data(optionsText(config).utf8), to: folder.appendingPathComponent("options.txt"))
        }
        let config = trainer.config
        print("Deep Q-learning on the \(config.difficulty) game with the lecture's network " +
              "(80x80x4 -> 3 x conv3x3+relu+maxpool -> 6400 -> 512 -> 2). Replay memory: up to " +
              String(format: "%.0f MB", Double(ReplayBuffer.memoryBytes(capacity: config.replayCapacity)) / 1e6) + ". Run folder: \(folder.path)")
        let started = Date()
        let stepGoal = steps
        let total = stepGoal.map { max(0, $0 - trainer.step) }
        var bar = ProgressBar(total: total ?? Int(((minutes ?? 0) * 60).rounded()), label: total != nil ? "steps" : "seconds")
        let firstStep = trainer.step
        var lastLoss: Float = .nan, lastSave = Date(), lastReport = Date.distantPast
        func save(_ why: String?) throws {
            try DQNCheckpoint.write(trainer, to: checkpointURL)
            try writeHistory(trainer, folder)
            lastSave = Date()
            if let why { print(why) }
        }
        while true {
            let elapsed = Date().timeIntervalSince(started)
            if let goal = stepGoal, trainer.step >= goal { break }
            if let m = minutes, elapsed > m * 60 { break }
            if StopRequest.requested != 0 {
                bar.finish()
                try save("Stopped at step \(trainer.step): saved \(checkpointURL.path). Continue with: gesso dqn train --resume --minutes M --out \(out)")
                return
            }
            let r = trainer.advance()
            if let l = r.loss {
                guard l.isFinite else {
                    fail("the loss became NaN or infinite at step \(trainer.step): training diverged. Lower --learning-rate; " +
                         "the last good checkpoint is \(checkpointURL.path)")
                }
                lastLoss = l
            }
            if Date().timeIntervalSince(lastReport) > 1 {
                lastReport = Date()
                let done = total != nil ? trainer.step - firstStep : Int(Date().timeIntervalSince(started))
                let mean = trainer.recentMeanScore().map { String(format: "%.2f", $0) } ?? "-"
                bar.update(min(done, bar.total), String(format: "step %d, %d episodes, score (last 20) %@, eps %.2f, %.1f steps/s, loss %.4f",
                                                         trainer.step, trainer.episodes.count, mean, trainer.epsilon,
                                                         Double(trainer.step - firstStep) / max(Date().timeIntervalSince(started), 1e-9), lastLoss))
            }
            if Date().timeIntervalSince(lastSave) > 300 { try save(nil) }
        }
        bar.finish()
        try save(nil)
        let mean = trainer.recentMeanScore().map { String(format: "%.2f", $0) } ?? "no episode yet"
        print("Done at step \(trainer.step) (\(trainer.episodes.count) episodes; mean score of the last 20: \(mean)). " +
              "Curve: \(folder.appendingPathComponent("scores.png").path). Watch it: gesso dqn play --run \(out) --gif \(out)/play.gif")
    }

    func optionsText(_ c: DQNConfig) -> String {
        """
        gesso dqn train, seed \(seed)
        difficulty \(c.difficulty), frame skip \(c.frameSkip), replay \(c.replayCapacity), batch \(c.batchSize)
        optimizer \(c.optimizer.rawValue), learning rate \(c.learningRate), gamma \(c.gamma)
        epsilon \(c.epsilonStart) -> \(c.epsilonEnd) over \(c.epsilonSteps) steps, learning starts \(c.learningStarts), \
        train every \(c.trainEvery), target sync \(c.targetSync)

        """
    }

    func writeHistory(_ trainer: DQNTrainer, _ folder: URL) throws {
        let e = trainer.episodes
        var csv = "episode,step,score,total_reward\n"
        for (i, r) in e.enumerated() { csv += "\(i + 1),\(r.step),\(r.score),\(r.totalReward)\n" }
        try write(Data(csv.utf8), to: folder.appendingPathComponent("metrics.csv"))
        guard e.count >= 2 else { return }
        // Mean score of the last 20 episodes against the agent step.
        var means: [Double] = []
        var sum = 0
        for i in e.indices {
            sum += e[i].score
            if i >= 20 { sum -= e[i - 20].score }
            means.append(Double(sum) / Double(min(i + 1, 20)))
        }
        let chart = Chart.lines([("mean score, last 20 episodes", means)], xValues: e.map { Double($0.step) },
                                title: "DQN: pipes passed per episode", xLabel: "agent step", yLabel: "pipes")
        try ImageFile.write(chart, to: folder.appendingPathComponent("scores.png"))
    }
}

struct DQNPlay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play", abstract: "Let the trained agent play (greedy); print the scores, make a GIF of the best episode.")

    @Option(name: .customLong("run"), help: "The run folder of `gesso dqn train`.") var runFolder: String?
    @Option(help: "Episodes to play.") var episodes = 20
    @Option(help: "Seed of the first episode's pipes (episode i uses seed + i).") var seed: UInt64 = 1_000
    @Option(help: "Write the best episode as an animated GIF here.") var gif: String?
    @Option(help: "Stop an episode after this many agent steps.") var maxSteps = 3_000
    @Flag(help: "Play with random actions instead (the baseline).") var random = false
    @Option(help: "With --random: the probability of a flap (0.5: uniformly random actions).") var flapProbability: Float = 0.5

    func validate() throws {
        guard (1...1000).contains(episodes) else { throw ValidationError("--episodes must be between 1 and 1000") }
        guard maxSteps >= 1 else { throw ValidationError("--max-steps must be at least 1") }
        if !random && runFolder == nil { throw ValidationError("give --run RUN (a folder of gesso dqn train), or --random") }
    }

    func run() throws {
        var config = DQNConfig()
        var agent: DQNAgent?
        if let r = runFolder {
            let url = URL(fileURLWithPath: r).appendingPathComponent("checkpoint.safetensors")
            guard FileManager.default.fileExists(atPath: url.path) else {
                fail("\(url.path) does not exist: train first with gesso dqn train --minutes 30 --out \(r)")
            }
            do { let t = try DQNCheckpoint.restore(from: url); agent = t.agent; config = t.config } catch { fail("\(error)") }
        }
        func policy(_ i: Int) -> (FrameStack) -> (action: Int, q: [Float]?) {
            random || agent == nil ? DQNEvaluation.random(seed: seed &+ UInt64(i) &+ 77, flapProbability: flapProbability) : DQNEvaluation.greedy(agent!)
        }
        var results: [DQNEvaluation.Episode] = []
        for i in 0..<episodes {
            let e = DQNEvaluation.play(config: config, seed: seed &+ UInt64(i), maxSteps: maxSteps, policy: policy(i))
            results.append(e)
            print("episode \(i + 1): \(e.score) pipes, \(e.steps) steps\(e.steps >= maxSteps ? " (stopped at --max-steps)" : "")")
        }
        let mean = Double(results.map(\.score).reduce(0, +)) / Double(results.count)
        let who = random ? String(format: "random (flap probability %.2f)", flapProbability) : "greedy"
        print(String(format: "%@ policy, %d episodes: mean score %.2f pipes (best %d)", who, episodes, mean,
                     results.map(\.score).max() ?? 0))
        guard let gif else { return }
        let best = results.indices.max { results[$0].score < results[$1].score || (results[$0].score == results[$1].score && results[$0].steps < results[$1].steps) }!
        var frames: [Image] = []
        let side = 240
        _ = DQNEvaluation.play(config: config, seed: results[best].seed, maxSteps: min(maxSteps, 600), policy: policy(best)) { game, action, q in
            var im = Image(width: side, height: side, channels: 3, pixels: game.rgbFrame(side: side))
            let caption = q.map { String(format: "Q nothing %.2f  flap %.2f", $0[0], $0[1]) } ?? "random"
            im.fillRectangle(x: 0, y: 0, width: side, height: 24, color: [255, 255, 255])
            BitmapFont.draw("score \(game.score)\(action == 1 ? "  FLAP" : "")", into: &im, x: 4, y: 2, color: [0, 0, 0])
            BitmapFont.draw(caption, into: &im, x: 4, y: 13, color: [60, 60, 160])
            frames.append(im)
        }
        let url = URL(fileURLWithPath: gif)
        do { try GIFEncoder.write(frames, to: url, delay: 4 * config.frameSkip / 2 + 2) }
        catch { fail("cannot write \(url.path): \(error)") }
        print("Best episode (\(results[best].score) pipes, first \(frames.count - 1) steps) as a GIF: \(url.path)")
    }
}
