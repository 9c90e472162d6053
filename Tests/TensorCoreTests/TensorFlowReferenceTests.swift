import Foundation
import Testing
@testable import TensorCore

/// Walks every case of a TensorFlow reference set (format: Fixtures/tf-ops/README.md), runs the op forward
/// and backward, and compares the output and every gradient with TensorFlow's.
///
/// Tolerance: |got - want| <= 1e-4 + 1e-4 |want| (the issue's bar). Both sides are float32; ours sums in a
/// different order (oneDNN's blocking, double accumulators in the reductions), which moves results by a few
/// ulps of the partial sums: well below 1e-4 for values of order 1 and sums of up to ~10^4 products.
/// `GESSO_TF_FIXTURES` may name another directory of the same format.
@Suite struct TensorFlowReferenceTests {
    static let directory: URL = {
        if let dir = ProcessInfo.processInfo.environment["GESSO_TF_FIXTURES"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        return testDirectory.appendingPathComponent("Fixtures/tf-ops")
    }()

    static func loadCases() -> [ReferenceCase] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = json["cases"] as? [[String: Any]] else { return [] }
        return cases.compactMap(ReferenceCase.init)
    }

    static let cases = loadCases()

    @Test func theReferenceSetHasCases() {
        #expect(!Self.cases.isEmpty, "no cases found in \(Self.directory.path)/manifest.json")
    }

    @Test(arguments: cases)
    func referenceCase(_ c: ReferenceCase) throws {
        var inputs: [String: Tensor] = [:]
        for (name, file) in c.inputs {
            inputs[name] = try NumpyFile.read(Self.directory.appendingPathComponent(file))
        }
        let want = try NumpyFile.read(Self.directory.appendingPathComponent(c.output))
        let upstream = try NumpyFile.read(Self.directory.appendingPathComponent(c.upstream))
        let gradNames = c.grads.keys.sorted()
        let tracked = Dictionary(uniqueKeysWithValues: inputs.map { name, t in
            (name, gradNames.contains(name) ? t.requiringGradient() : t)
        })
        let output = try ReferenceOps.run(c.op, attrs: c.attrs, inputs: tracked)
        expectClose(output, want, atol: 1e-4, rtol: 1e-4, "\(c.name) output")
        guard output.shape == upstream.shape else {
            Issue.record("\(c.name): upstream gradient \(upstream.shape) does not match output \(output.shape)")
            return
        }
        let grads = gradients(of: output, withRespectTo: gradNames.map { tracked[$0]! }, seed: upstream)
        for (name, got) in zip(gradNames, grads) {
            let wantGrad = try NumpyFile.read(Self.directory.appendingPathComponent(c.grads[name]!))
            expectClose(got, wantGrad, atol: 1e-4, rtol: 1e-4, "\(c.name) d\(name)")
        }
    }
}

struct ReferenceCase: CustomTestStringConvertible, Sendable, Hashable {
    let name: String, op: String, output: String, upstream: String
    let inputs: [String: String], grads: [String: String]
    let attrsJSON: Data
    var attrs: [String: Any] { (try? JSONSerialization.jsonObject(with: attrsJSON) as? [String: Any]) ?? [:] }
    var testDescription: String { name }

    init?(_ j: [String: Any]) {
        guard let name = j["name"] as? String, let op = j["op"] as? String, let output = j["output"] as? String,
              let upstream = j["upstream"] as? String, let inputs = j["inputs"] as? [String: String] else { return nil }
        self.name = name; self.op = op; self.output = output; self.upstream = upstream; self.inputs = inputs
        self.grads = j["grads"] as? [String: String] ?? [:]
        self.attrsJSON = (try? JSONSerialization.data(withJSONObject: j["attrs"] ?? [:])) ?? Data("{}".utf8)
    }
}

struct UnsupportedCase: Error, CustomStringConvertible {
    let description: String
}

/// Maps a case's TensorFlow op name and attributes onto Gesso's ops. Anything it does not know is an error,
/// so a new kind of case fails loudly instead of being skipped.
enum ReferenceOps {
    static func run(_ op: String, attrs: [String: Any], inputs: [String: Tensor]) throws -> Tensor {
        var used = Set<String>(["doc"])
        func attr<T>(_ key: String, _ default: T? = nil) throws -> T {
            used.insert(key)
            if let v = attrs[key] as? T { return v }
            if attrs[key] == nil, let d = `default` { return d }
            throw UnsupportedCase(description: "\(op): attribute \(key) = \(String(describing: attrs[key])) not understood")
        }
        func input(_ name: String) throws -> Tensor {
            guard let t = inputs[name] else { throw UnsupportedCase(description: "\(op): missing input \(name)") }
            return t
        }
        func padding() throws -> Padding {
            used.insert("padding")
            switch attrs["padding"] {
            case let s as String where s == "SAME": return .same
            case let s as String where s == "VALID": return .valid
            case let p as [[Int]]: return .explicit(p)
            default: throw UnsupportedCase(description: "\(op): padding \(String(describing: attrs["padding"]))")
            }
        }
        let result: Tensor
        switch op {
        case "conv2d":
            result = nn.conv2d(try input("input"), try input("filters"), strides: try attr("strides"),
                               padding: try padding(), dilations: try attr("dilations", [1, 1, 1, 1]))
        case "depthwise_conv2d":
            result = nn.depthwiseConv2d(try input("input"), try input("filter"), strides: try attr("strides"),
                                        padding: try padding(), dilations: try attr("dilations", [1, 1, 1, 1]))
        case "conv2d_transpose":
            result = nn.conv2dTranspose(try input("input"), try input("filters"), outputShape: try attr("output_shape"),
                                        strides: try attr("strides"), padding: try padding(),
                                        dilations: try attr("dilations", [1, 1, 1, 1]))
        case "max_pool2d":
            result = nn.maxPool2d(try input("input"), ksize: try attr("ksize"), strides: try attr("strides"), padding: try padding())
        case "avg_pool2d":
            result = nn.avgPool2d(try input("input"), ksize: try attr("ksize"), strides: try attr("strides"), padding: try padding())
        case "matmul":
            result = tf.matmul(try input("a"), try input("b"), transposeA: try attr("transpose_a", false),
                               transposeB: try attr("transpose_b", false))
        case "bias_add":
            let format: String = try attr("data_format", "NHWC")
            guard format == "NHWC" else { throw UnsupportedCase(description: "bias_add: data_format \(format)") }
            result = nn.biasAdd(try input("value"), try input("bias"))
        case "relu": result = nn.relu(try input("features"))
        case "relu6": result = nn.relu6(try input("features"))
        case "leaky_relu": result = nn.leakyRelu(try input("features"), alpha: Float(try attr("alpha", 0.2) as Double))
        case "elu": result = nn.elu(try input("features"))
        case "tanh": result = nn.tanh(try input("x"))
        case "sigmoid": result = nn.sigmoid(try input("x"))
        case "softmax": result = nn.softmax(try input("logits"), axis: try attr("axis", -1))
        case "log_softmax": result = nn.logSoftmax(try input("logits"), axis: try attr("axis", -1))
        case "sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits":
            let reduction: String = try attr("reduction", "none")
            let labels = try input("labels"), logits = try input("logits")
            let perElement = op.hasPrefix("sigmoid") ? nn.sigmoidCrossEntropyWithLogits(labels: labels, logits: logits)
                                                     : nn.softmaxCrossEntropyWithLogits(labels: labels, logits: logits)
            switch reduction {
            case "mean": result = perElement.mean()
            case "sum": result = perElement.sum()
            case "none": result = perElement
            default: throw UnsupportedCase(description: "\(op): reduction \(reduction)")
            }
        case "mean_squared_error":
            result = losses.meanSquaredError(predictions: try input("predictions"), labels: try input("labels"))
        case "mean_absolute_error":
            result = losses.meanAbsoluteError(predictions: try input("predictions"), labels: try input("labels"))
        case "batch_norm_train":
            result = nn.batchNormTraining(try input("x"), scale: try input("gamma"), offset: try input("beta"),
                                          epsilon: Float(try attr("epsilon", 1e-5) as Double)).y
        case "instance_norm":
            result = nn.instanceNorm(try input("x"), scale: try input("gamma"), offset: try input("beta"),
                                     epsilon: Float(try attr("epsilon", 1e-5) as Double))
        case "pad":
            let modeName: String = try attr("mode", "CONSTANT")
            guard let mode = PaddingMode(rawValue: modeName.uppercased()) else {
                throw UnsupportedCase(description: "pad: mode \(modeName)")
            }
            result = tf.pad(try input("tensor"), try attr("paddings"), mode: mode,
                            constantValues: Float(try attr("constant_values", 0.0) as Double))
        case "resize":
            let methodName: String = try attr("method")
            let halfPixel: Bool = try attr("half_pixel_centers", true)
            guard let method = ResizeMethod(rawValue: methodName), halfPixel else {
                throw UnsupportedCase(description: "resize: method \(methodName), half_pixel_centers \(halfPixel)")
            }
            result = tf.resize(try input("images"), size: try attr("size"), method: method)
        case "reduce_mean", "reduce_sum", "reduce_max":
            let axis: [Int]? = try {
                used.insert("axis")
                switch attrs["axis"] {
                case nil, is NSNull: return nil
                case let a as [Int]: return a
                case let a as Int: return [a]
                default: throw UnsupportedCase(description: "\(op): axis \(String(describing: attrs["axis"]))")
                }
            }()
            let keep: Bool = try attr("keepdims", false)
            let x = try input("input_tensor")
            result = op == "reduce_sum" ? tf.reduceSum(x, axis: axis, keepdims: keep)
                   : op == "reduce_mean" ? tf.reduceMean(x, axis: axis, keepdims: keep)
                   : tf.reduceMax(x, axis: axis, keepdims: keep)
        case "create_network":
            let actions: Int = try attr("actions", 2)
            let params = Dictionary(uniqueKeysWithValues: try LectureNetwork.parameterNames.map { ($0, try input($0)) })
            guard params["W_fc2"]?.shape.last == actions else {
                throw UnsupportedCase(description: "create_network: W_fc2 does not have \(actions) actions")
            }
            result = LectureNetwork(parameters: params)(try input("s"))
        default:
            throw UnsupportedCase(description: "op \(op) is not supported")
        }
        let unknown = Set(attrs.keys).subtracting(used)
        if !unknown.isEmpty {
            throw UnsupportedCase(description: "\(op): attributes \(unknown.sorted()) are not supported")
        }
        return result
    }
}
