import Foundation
import GessoNN
import GessoOptim

/// The whole training state of pix2pix or CycleGAN in one safetensors file: every network's weights
/// ("NAME/..."), running statistics ("NAME.buffers/..."), optimizer states ("NAME.optimizer/..."), extra tensors
/// (the fixed sample set, the history pools), and in the metadata the step, epoch, random generator and configuration.
public enum TranslationCheckpoint {
    public static let format = "gesso-translation-1"

    public struct Info {
        public var step: Int, epoch: Int
        public var config: [String: String]
        public var extras: [String: Tensor]
    }

    public static func write(_ t: Pix2PixTrainer, epoch: Int, config: [String: String], extras: [String: Tensor], to url: URL) throws {
        var w = Writer(step: t.step, epoch: epoch, random: t.random, config: config, extras: extras)
        w.add(t.generator, "generator"); w.add(t.discriminator, "discriminator")
        w.add(t.generatorOptimizer, "generator"); w.add(t.discriminatorOptimizer, "discriminator")
        try SafeTensors.write(w.tensors, metadata: w.metadata, to: url)
    }

    public static func write(_ t: CycleGANTrainer, epoch: Int, config: [String: String], extras: [String: Tensor], to url: URL) throws {
        var extras = extras
        if let p = t.poolA.stacked { extras["poolA"] = p }
        if let p = t.poolB.stacked { extras["poolB"] = p }
        var w = Writer(step: t.step, epoch: epoch, random: t.random, config: config, extras: extras)
        w.add(t.aToB, "aToB"); w.add(t.bToA, "bToA"); w.add(t.judgeA, "judgeA"); w.add(t.judgeB, "judgeB")
        w.add(t.generatorOptimizer, "generators"); w.add(t.discriminatorOptimizer, "discriminators")
        try SafeTensors.write(w.tensors, metadata: w.metadata, to: url)
    }

    /// Restores a trainer built with the same options; lists every tensor that does not fit.
    public static func restore(_ t: inout Pix2PixTrainer, from url: URL) throws -> Info {
        var r = try Reader(url)
        r.check(t.generator, "generator"); r.check(t.discriminator, "discriminator")
        try r.finishChecks()
        r.load(&t.generator, "generator"); r.load(&t.discriminator, "discriminator")
        try r.load(&t.generatorOptimizer, "generator", parameters: t.generator.parameters)
        try r.load(&t.discriminatorOptimizer, "discriminator", parameters: t.discriminator.parameters)
        t.step = r.info.step; t.random.state = r.random
        return r.info
    }

    public static func restore(_ t: inout CycleGANTrainer, from url: URL) throws -> Info {
        var r = try Reader(url)
        r.check(t.aToB, "aToB"); r.check(t.bToA, "bToA"); r.check(t.judgeA, "judgeA"); r.check(t.judgeB, "judgeB")
        try r.finishChecks()
        r.load(&t.aToB, "aToB"); r.load(&t.bToA, "bToA"); r.load(&t.judgeA, "judgeA"); r.load(&t.judgeB, "judgeB")
        try r.load(&t.generatorOptimizer, "generators", parameters: t.generatorParameters)
        try r.load(&t.discriminatorOptimizer, "discriminators", parameters: t.discriminatorParameters)
        t.poolA.restore(r.info.extras["poolA"]); t.poolB.restore(r.info.extras["poolB"])
        t.step = r.info.step; t.random.state = r.random
        return r.info
    }

    struct Writer {
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String]
        init(step: Int, epoch: Int, random: RandomGenerator, config: [String: String], extras: [String: Tensor]) {
            metadata = ["format": format, "step": String(step), "epoch": String(epoch),
                        "random": GANCheckpoint.json(random.state), "config": GANCheckpoint.json(config),
                        "extras": GANCheckpoint.json(extras.keys.sorted())]
            for (k, v) in extras { tensors["extra/\(k)"] = v }
        }
        mutating func add<L: Layer>(_ model: L, _ name: String) {
            for (k, v) in model.parameters { tensors["\(name)/\(k)"] = v }
            for (k, v) in model.buffers { tensors["\(name).buffers/\(k)"] = v }
        }
        mutating func add(_ optimizer: any Optimizer, _ name: String) {
            let state = optimizer.state()
            for (k, v) in state.tensors { tensors["\(name).optimizer/\(k)"] = v }
            metadata["\(name).optimizer.kind"] = state.kind
            metadata["\(name).optimizer.step"] = String(state.step)
            metadata["\(name).optimizer.scalars"] = GANCheckpoint.json(state.scalars)
        }
    }

    struct Reader {
        let path: String
        let tensors: [String: Tensor], metadata: [String: String]
        var info: Info
        let random: [UInt64]
        var problems: [String] = []

        init(_ url: URL) throws {
            path = url.path
            (tensors, metadata) = try SafeTensors.read(url)
            let fail = { (p: String) in CheckpointError(path: url.path, problem: p) }
            guard metadata["format"] == format else {
                throw fail("is not a Gesso pix2pix/CycleGAN checkpoint (format \(metadata["format"] ?? "missing"))")
            }
            let decoder = JSONDecoder()
            guard let step = metadata["step"].flatMap(Int.init), let epoch = metadata["epoch"].flatMap(Int.init),
                  let config = metadata["config"].flatMap({ try? decoder.decode([String: String].self, from: Data($0.utf8)) }),
                  let random = metadata["random"].flatMap({ try? decoder.decode([UInt64].self, from: Data($0.utf8)) }), random.count == 4,
                  let extraNames = metadata["extras"].flatMap({ try? decoder.decode([String].self, from: Data($0.utf8)) })
            else { throw fail("its metadata (step, epoch, random state, configuration) is damaged") }
            var extras: [String: Tensor] = [:]
            for k in extraNames {
                guard let v = tensors["extra/\(k)"] else { throw fail("its tensor extra/\(k) is missing") }
                extras[k] = v
            }
            info = Info(step: step, epoch: epoch, config: config, extras: extras)
            self.random = random
        }

        func section(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil })
        }

        mutating func check<L: Layer>(_ model: L, _ name: String) {
            for (want, got, what) in [(model.parameters, section("\(name)/"), "weight"), (model.buffers, section("\(name).buffers/"), "statistic")] {
                for (k, v) in want {
                    if let g = got[k] { if g.shape != v.shape { problems.append("\(name) \(what) \(k) has shape \(g.shape), the model needs \(v.shape)") } }
                    else { problems.append("\(name) \(what) \(k) is missing") }
                }
                for k in got.keys where want[k] == nil { problems.append("\(name) \(what) \(k) is not in this model") }
            }
        }

        func finishChecks() throws {
            guard problems.isEmpty else {
                throw CheckpointError(path: path, problem: "does not fit this model (was it written with other options?): "
                    + problems.sorted().prefix(8).joined(separator: "; ") + (problems.count > 8 ? "; and \(problems.count - 8) more" : ""))
            }
        }

        func load<L: Layer>(_ model: inout L, _ name: String) {
            model.parameters = section("\(name)/")
            let b = section("\(name).buffers/")
            if !b.isEmpty { model.buffers = b }
        }

        func load(_ optimizer: inout Adam, _ name: String, parameters: [String: Tensor]) throws {
            guard let kind = metadata["\(name).optimizer.kind"], let s = metadata["\(name).optimizer.step"].flatMap(Int.init),
                  let scalars = metadata["\(name).optimizer.scalars"].flatMap({ try? JSONDecoder().decode([String: Double].self, from: Data($0.utf8)) })
            else { throw CheckpointError(path: path, problem: "its \(name) optimizer state is damaged") }
            do {
                try optimizer.load(OptimizerState(kind: kind, step: s, scalars: scalars, tensors: section("\(name).optimizer/")),
                                   parameters: parameters)
            } catch { throw CheckpointError(path: path, problem: "\(error)") }
        }
    }
}
