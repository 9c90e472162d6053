import Foundation
import GessoKernels

/// A max pool's record of where each maximum came from, kept from the forward pass for the backward pass.
/// Its bytes come from the tensor buffer pool, so a training loop reuses them from step to step.
final class PoolWorkspace {
    private let storage: TensorStorage?
    var bytes: UnsafeMutableRawPointer? { storage.map { UnsafeMutableRawPointer($0.pointer) } }
    init(size: Int) { storage = size > 0 ? TensorStorage(count: (size + 3) / 4) : nil }
}

extension Tensor {
    static func pool(_ input: Tensor, kind: PoolGeometry.Kind, ksize: [Int], strides: [Int], padding: Padding,
                     op: String) -> Tensor {
        precondition(input.rank == 4, "\(op): input must be NHWC (rank 4), got \(describe(input.shape))")
        let (kh, kw) = spatialPair(ksize, "ksize", op: op)
        let (sh, sw) = spatialPair(strides, "strides", op: op)
        let hh = padding.resolve(input: input.shape[1], kernel: kh, stride: sh, dilation: 1, axis: 1, op: op)
        let ww = padding.resolve(input: input.shape[2], kernel: kw, stride: sw, dilation: 1, axis: 2, op: op)
        let g = PoolGeometry(kind: kind, batch: input.shape[0], inHeight: input.shape[1], inWidth: input.shape[2],
                             channels: input.shape[3], outHeight: hh.out, outWidth: ww.out,
                             kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw,
                             padTop: hh.before, padBottom: hh.after, padLeft: ww.before, padRight: ww.after)
        var y = Tensor(uninitializedShape: [g.batch, g.outHeight, g.outWidth, g.channels])
        let training = input.isTracked && GradientMode.isRecording
        let workspace = PoolWorkspace(size: training && kind == .max ? g.workspaceByteCount : 0)
        poolForward(g, input: input.pointer, output: y.storage.pointer, workspace: workspace.bytes)
        return record(y, [input]) { dy in
            var dx = Tensor(uninitializedShape: input.shape)
            poolBackward(g, outputGradient: dy.pointer, workspace: workspace.bytes, inputGradient: dx.storage.pointer)
            return [dx]
        }
    }

    /// `tf.nn.max_pool2d` over NHWC; `ksize` and `strides` as `[1, h, w, 1]`.
    public static func maxPool2d(_ input: Tensor, ksize: [Int], strides: [Int], padding: Padding) -> Tensor {
        pool(input, kind: .max, ksize: ksize, strides: strides, padding: padding, op: "max_pool2d")
    }

    /// `tf.nn.avg_pool2d` over NHWC; with SAME padding each window averages only its real elements.
    public static func avgPool2d(_ input: Tensor, ksize: [Int], strides: [Int], padding: Padding) -> Tensor {
        pool(input, kind: .average, ksize: ksize, strides: strides, padding: padding, op: "avg_pool2d")
    }
}
