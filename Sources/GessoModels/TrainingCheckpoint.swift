import Foundation
import GessoNN
import GessoOptim

/// A classifier's whole training state in one safetensors file: weights ("model/..."), running statistics
/// ("buffers/..."), optimizer state ("optimizer/..."), and in the metadata the step, the epoch, the random
/// generator, the optimizer's numbers and the run's configuration (JSON). Python's `safetensors` reads it.
public enum TrainingCheckpoint {
    public static let format = "gesso-classifier-1"

    /// Writes atomically (temporary file, then rename).
    public static func write(_ trainer: ClassifierTrainer, epoch: Int, config: [String: String], to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (k, v) in trainer.model.parameters { tensors["model/\(k)"] = v }
        for (k, v) in trainer.model.buffers { tensors["buffers/\(k)"] = v }
        let state = trainer.optimizer.state()
        for (k, v) in state.tensors { tensors["optimizer/\(k)"] = v }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<T: Encodable>(_ v: T) -> String { String(decoding: (try? encoder.encode(v)) ?? Data(), as: UTF8.self) }
        let metadata = [
            "format": format, "step": String(trainer.step), "epoch": String(epoch),
            "random": json(trainer.random.state), "optimizer.kind": state.kind, "optimizer.step": String(state.step),
            "optimizer.scalars": json(state.scalars), "config": json(config),
            "baseLearningRate": String(trainer.baseLearningRate),
        ]
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// What a checkpoint holds besides the tensors.
    public struct Info { public var step: Int; public var epoch: Int; public var config: [String: String] }

    /// Reads the run configuration and position without touching a trainer.
    public static func info(_ url: URL) throws -> Info {
        try parse(SafeTensors.read(url).metadata, path: url.path)
    }

    static func parse(_ metadata: [String: String], path: String) throws -> Info {
        guard metadata["format"] == format else {
            throw CheckpointError(path: path, problem: "is not a Gesso classifier checkpoint (format \(metadata["format"] ?? "missing"))")
        }
        guard let step = metadata["step"].flatMap(Int.init), let epoch = metadata["epoch"].flatMap(Int.init),
              let configData = metadata["config"]?.data(using: .utf8),
              let config = try? JSONDecoder().decode([String: String].self, from: configData) else {
            throw CheckpointError(path: path, problem: "its metadata (step, epoch, config) is damaged")
        }
        return Info(step: step, epoch: epoch, config: config)
    }

    /// Restores a trainer built with the same configuration; every tensor must be there with its shape.
    /// Returns the epoch to continue from.
    public static func restore(_ trainer: inout ClassifierTrainer, from url: URL) throws -> Info {
        let (tensors, metadata) = try SafeTensors.read(url)
        let info = try parse(metadata, path: url.path)
        func section(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { k, v in
                k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil
            })
        }
        let model = section("model/"), buffers = section("buffers/")
        var problems: [String] = []
        func compare(_ want: [String: Tensor], _ got: [String: Tensor], _ what: String) {
            for (k, v) in want {
                if let g = got[k] {
                    if g.shape != v.shape { problems.append("\(what) \(k) has shape \(g.shape), the model needs \(v.shape)") }
                } else { problems.append("\(what) \(k) is missing") }
            }
            for k in got.keys where want[k] == nil { problems.append("\(what) \(k) is not in this model") }
        }
        compare(trainer.model.parameters, model, "weight")
        compare(trainer.model.buffers, buffers, "statistic")
        guard problems.isEmpty else {
            throw CheckpointError(path: url.path, problem: "does not fit this model (was it written with other options?): " +
                                  problems.sorted().joined(separator: "; "))
        }
        let decoder = JSONDecoder()
        guard let randomState = metadata["random"].flatMap({ try? decoder.decode([UInt64].self, from: Data($0.utf8)) }),
              randomState.count == 4,
              let scalars = metadata["optimizer.scalars"].flatMap({ try? decoder.decode([String: Double].self, from: Data($0.utf8)) }),
              let optimizerStep = metadata["optimizer.step"].flatMap(Int.init), let kind = metadata["optimizer.kind"] else {
            throw CheckpointError(path: url.path, problem: "its optimizer or random-generator state is damaged")
        }
        let state = OptimizerState(kind: kind, step: optimizerStep, scalars: scalars, tensors: section("optimizer/"))
        do { try trainer.optimizer.load(state, parameters: trainer.model.parameters) } catch {
            throw CheckpointError(path: url.path, problem: "\(error)")
        }
        trainer.model.parameters = model
        if !buffers.isEmpty { trainer.model.buffers = buffers }
        trainer.random.state = randomState
        trainer.step = info.step
        trainer.baseLearningRate = metadata["baseLearningRate"].flatMap(Float.init) ?? trainer.baseLearningRate
        return info
    }
}
