import Foundation
import GessoNN
import GessoOptim

/// A DQN run's training state in one safetensors file: the online and target networks, the optimizer, and in the
/// metadata the step, the random generator, the configuration and the episode history. The replay buffer is not
/// saved (hundreds of MB); a resumed run refills it with `learningStarts` steps before learning again.
public enum DQNCheckpoint {
    public static let format = "gesso-dqn-1"

    public static func write(_ trainer: DQNTrainer, to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (k, v) in trainer.agent.online.parameters { tensors["online/\(k)"] = v }
        for (k, v) in trainer.agent.target.parameters { tensors["target/\(k)"] = v }
        let state = trainer.agent.optimizer.state()
        for (k, v) in state.tensors { tensors["optimizer/\(k)"] = v }
        let metadata = ["format": format, "step": String(trainer.step), "updates": String(trainer.agent.updates),
                        "seed": String(trainer.seed), "random": json(trainer.random.state), "config": json(trainer.config),
                        "episodes": json(trainer.episodes), "optimizer.kind": state.kind, "optimizer.step": String(state.step),
                        "optimizer.scalars": json(state.scalars)]
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    static func json<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: (try? e.encode(v)) ?? Data(), as: UTF8.self)
    }

    /// The configuration and seed saved in a checkpoint (to build the trainer that `restore` fills).
    public static func header(_ url: URL) throws -> (config: DQNConfig, seed: UInt64) {
        let (_, metadata) = try SafeTensors.read(url)
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: url.path, problem: problem) }
        guard metadata["format"] == format else { throw fail("is not a Gesso DQN checkpoint (format \(metadata["format"] ?? "missing"))") }
        guard let config = metadata["config"].flatMap({ try? JSONDecoder().decode(DQNConfig.self, from: Data($0.utf8)) }),
              let seed = metadata["seed"].flatMap(UInt64.init) else { throw fail("its configuration is damaged") }
        return (config, seed)
    }

    /// A trainer in the saved state (a fresh episode, an empty replay buffer).
    public static func restore(from url: URL) throws -> DQNTrainer {
        let (config, seed) = try header(url)
        let (tensors, metadata) = try SafeTensors.read(url)
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: url.path, problem: problem) }
        let decoder = JSONDecoder()
        guard let step = metadata["step"].flatMap(Int.init), let updates = metadata["updates"].flatMap(Int.init),
              let random = metadata["random"].flatMap({ try? decoder.decode([UInt64].self, from: Data($0.utf8)) }), random.count == 4,
              let episodes = metadata["episodes"].flatMap({ try? decoder.decode([EpisodeRecord].self, from: Data($0.utf8)) }),
              let kind = metadata["optimizer.kind"], let optimizerStep = metadata["optimizer.step"].flatMap(Int.init),
              let scalars = metadata["optimizer.scalars"].flatMap({ try? decoder.decode([String: Double].self, from: Data($0.utf8)) })
        else { throw fail("its metadata is damaged") }
        var trainer = DQNTrainer(config: config, seed: seed)
        func section(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
        }
        let online = section("online/"), target = section("target/")
        var problems: [String] = []
        for (name, got) in [("online", online), ("target", target)] {
            for (k, v) in trainer.agent.online.parameters {
                if let g = got[k] { if g.shape != v.shape { problems.append("\(name) \(k) has shape \(g.shape), the network needs \(v.shape)") } }
                else { problems.append("\(name) \(k) is missing") }
            }
            for k in got.keys where trainer.agent.online.parameters[k] == nil { problems.append("\(name) \(k) is not in the network") }
        }
        guard problems.isEmpty else { throw fail("does not fit the lecture's network: " + problems.sorted().joined(separator: "; ")) }
        trainer.agent.load(online: online, target: target)
        do {
            try trainer.agent.optimizer.load(OptimizerState(kind: kind, step: optimizerStep, scalars: scalars,
                                                            tensors: section("optimizer/")),
                                             parameters: trainer.agent.online.parameters)
        } catch { throw fail("its optimizer state does not fit: \(error)") }
        trainer.agent.updates = updates
        trainer.step = step
        trainer.random.state = random
        trainer.episodes = episodes
        trainer.startEpisode()
        return trainer
    }
}
