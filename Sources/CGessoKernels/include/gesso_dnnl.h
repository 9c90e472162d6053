// Buffers in, buffers out: Gesso's narrow interface to oneDNN (convolutions, pooling, matrix products).
// Activations are NHWC float32, always. Weights are described by their strides in oneDNN's logical dimension
// order, so TensorFlow's HWIO / HWIM / HW(out)(in) layouts are read where they lie; oneDNN picks its own layout
// (format `any`) and the reordered copy is cached until the weights change (their version moves).
// Every call returns 0 on success or a oneDNN status; gesso_dnnl_last_error() says which step failed.
#ifndef GESSO_DNNL_H
#define GESSO_DNNL_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A 2-D convolution: input [batch, in_h, in_w, in_c] -> output [batch, out_h, out_w, out_c].
/// Weights have logical dims [groups, out_c/groups, in_c/groups, kernel_h, kernel_w] and the given strides
/// (elements). Dilations are TensorFlow's (1 = dense). Paddings are explicit (top, bottom, left, right).
typedef struct {
    int64_t batch, in_h, in_w, in_c, out_h, out_w, out_c;
    int64_t kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    int64_t pad_top, pad_bottom, pad_left, pad_right;
    int64_t groups;
    int64_t weight_strides[5];
} gesso_conv_desc;

/// y = conv(x, w). `weights_version` identifies the weights' contents (0: unknown, always reorder).
int gesso_conv_forward(const gesso_conv_desc *d, const float *src, const float *weights,
                       uint64_t weights_version, float *dst);
/// dx = conv^T(dy, w): the gradient of conv with respect to its input (also TF's conv2d_transpose).
int gesso_conv_backward_data(const gesso_conv_desc *d, const float *diff_dst, const float *weights,
                             uint64_t weights_version, float *diff_src);
/// dw = gradient of conv with respect to its weights, written in the weights' own strides.
int gesso_conv_backward_weights(const gesso_conv_desc *d, const float *src, const float *diff_dst,
                                float *diff_weights);

/// 2-D pooling over NHWC: max (padding never wins) or average over real, unpadded elements only.
typedef struct {
    int64_t batch, in_h, in_w, channels, out_h, out_w;
    int64_t kernel_h, kernel_w, stride_h, stride_w;
    int64_t pad_top, pad_bottom, pad_left, pad_right;
    int64_t is_max;
} gesso_pool_desc;

/// Bytes of the workspace a max pool's forward pass must hand to its backward pass (0 for average).
size_t gesso_pool_workspace_size(const gesso_pool_desc *d);
/// workspace: NULL for inference; else gesso_pool_workspace_size bytes, kept for gesso_pool_backward.
int gesso_pool_forward(const gesso_pool_desc *d, const float *src, float *dst, void *workspace);
int gesso_pool_backward(const gesso_pool_desc *d, const float *diff_dst, const void *workspace,
                        float *diff_src);

/// c[m, n] = sum_k a[m, k] * b[k, n]; a and b are read through their row/column strides (so a transposed
/// operand costs nothing), c is contiguous row-major.
typedef struct {
    int64_t m, n, k;
    int64_t a_row_stride, a_col_stride, b_row_stride, b_col_stride;
} gesso_matmul_desc;

int gesso_matmul(const gesso_matmul_desc *d, const float *a, const float *b, float *c);

/// A human-readable description of the last failure on this thread.
const char *gesso_dnnl_last_error(void);
/// Number of primitives in the cache (for tests and benchmarks).
int64_t gesso_dnnl_cached_primitives(void);

#ifdef __cplusplus
}
#endif
#endif
