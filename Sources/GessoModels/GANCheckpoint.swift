import Foundation
import GessoNN
import GessoOptim

/// A GAN's whole training state in one safetensors file: both players' weights, running statistics and
/// optimizer states, the fixed noise of the sample grids, and in the metadata the step, epoch, random generator
/// and the run's configuration.
public enum GANCheckpoint {
    public static let format = "gesso-gan-1"

    public static func write(_ trainer: GANTrainer, fixedNoise: Tensor, epoch: Int, config: [String: String], to url: URL) throws {
        var tensors: [String: Tensor] = ["fixedNoise": fixedNoise]
        for (k, v) in trainer.averageWeights ?? [:] { tensors["generator.average/\(k)"] = v }
        var metadata = ["format": format, "step": String(trainer.step), "epoch": String(epoch),
                        "random": json(trainer.random.state), "config": json(config)]
        for (name, model, optimizer) in [("generator", trainer.generator, trainer.generatorOptimizer),
                                         ("discriminator", trainer.discriminator, trainer.discriminatorOptimizer)] {
            for (k, v) in model.parameters { tensors["\(name)/\(k)"] = v }
            for (k, v) in model.buffers { tensors["\(name).buffers/\(k)"] = v }
            let state = optimizer.state()
            for (k, v) in state.tensors { tensors["\(name).optimizer/\(k)"] = v }
            metadata["\(name).optimizer.kind"] = state.kind
            metadata["\(name).optimizer.step"] = String(state.step)
            metadata["\(name).optimizer.scalars"] = json(state.scalars)
        }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    static func json<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        return String(decoding: (try? e.encode(v)) ?? Data(), as: UTF8.self)
    }

    public struct Info { public var step: Int; public var epoch: Int; public var config: [String: String]; public var fixedNoise: Tensor }

    /// Restores a trainer built with the same configuration; lists every tensor that does not fit.
    public static func restore(_ trainer: inout GANTrainer, from url: URL) throws -> Info {
        let (tensors, metadata) = try SafeTensors.read(url)
        func fail(_ problem: String) -> CheckpointError { CheckpointError(path: url.path, problem: problem) }
        guard metadata["format"] == format else { throw fail("is not a Gesso GAN checkpoint (format \(metadata["format"] ?? "missing"))") }
        let decoder = JSONDecoder()
        guard let step = metadata["step"].flatMap(Int.init), let epoch = metadata["epoch"].flatMap(Int.init),
              let config = metadata["config"].flatMap({ try? decoder.decode([String: String].self, from: Data($0.utf8)) }),
              let random = metadata["random"].flatMap({ try? decoder.decode([UInt64].self, from: Data($0.utf8)) }), random.count == 4,
              let noise = tensors["fixedNoise"] else { throw fail("its metadata or fixed noise is damaged") }
        func section(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
        }
        var problems: [String] = []
        for (name, model) in [("generator", trainer.generator), ("discriminator", trainer.discriminator)] {
            for (want, got, what) in [(model.parameters, section("\(name)/"), "weight"), (model.buffers, section("\(name).buffers/"), "statistic")] {
                for (k, v) in want {
                    if let g = got[k] { if g.shape != v.shape { problems.append("\(name) \(what) \(k) has shape \(g.shape), the model needs \(v.shape)") } }
                    else { problems.append("\(name) \(what) \(k) is missing") }
                }
                for k in got.keys where want[k] == nil { problems.append("\(name) \(what) \(k) is not in this model") }
            }
        }
        guard problems.isEmpty else {
            throw fail("does not fit this model (was it written with other options?): " + problems.sorted().joined(separator: "; "))
        }
        for name in ["generator", "discriminator"] {
            guard let kind = metadata["\(name).optimizer.kind"], let s = metadata["\(name).optimizer.step"].flatMap(Int.init),
                  let scalars = metadata["\(name).optimizer.scalars"].flatMap({ try? decoder.decode([String: Double].self, from: Data($0.utf8)) })
            else { throw fail("its \(name) optimizer state is damaged") }
            let state = OptimizerState(kind: kind, step: s, scalars: scalars, tensors: section("\(name).optimizer/"))
            do {
                if name == "generator" { try trainer.generatorOptimizer.load(state, parameters: trainer.generator.parameters) }
                else { try trainer.discriminatorOptimizer.load(state, parameters: trainer.discriminator.parameters) }
            } catch { throw fail("\(error)") }
        }
        trainer.generator.parameters = section("generator/")
        trainer.discriminator.parameters = section("discriminator/")
        let gb = section("generator.buffers/"), db = section("discriminator.buffers/")
        if !gb.isEmpty { trainer.generator.buffers = gb }
        if !db.isEmpty { trainer.discriminator.buffers = db }
        let average = section("generator.average/")
        if !average.isEmpty {
            guard Set(average.keys) == Set(trainer.generator.parameters.keys) else {
                throw fail("its averaged generator weights do not fit this model")
            }
            trainer.averageWeights = average
        } else {
            trainer.averageWeights = nil
        }
        trainer.random.state = random
        trainer.step = step
        return Info(step: step, epoch: epoch, config: config, fixedNoise: noise)
    }
}
