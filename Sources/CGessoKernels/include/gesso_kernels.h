// Gesso's own elementwise, reduction and normalisation loops: buffers in, buffers out, no Tensor type.
// Each is compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time (target_clones), so the
// binary runs on any x86-64. Callers split long arrays across cores; these loops are single-threaded.
// Naive twins with the same signatures live in Sources/GessoKernels/Reference/.
#ifndef GESSO_KERNELS_H
#define GESSO_KERNELS_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GESSO_BINARY_ADD = 0, GESSO_BINARY_SUB, GESSO_BINARY_MUL, GESSO_BINARY_DIV, GESSO_BINARY_MAX, GESSO_BINARY_MIN
} gesso_binary_op;

typedef enum {
    GESSO_UNARY_RELU = 0, GESSO_UNARY_RELU6, GESSO_UNARY_LEAKY_RELU, GESSO_UNARY_ELU, GESSO_UNARY_TANH,
    GESSO_UNARY_SIGMOID, GESSO_UNARY_EXP, GESSO_UNARY_LOG, GESSO_UNARY_NEG, GESSO_UNARY_SQUARE, GESSO_UNARY_SQRT,
    GESSO_UNARY_ABS, GESSO_UNARY_SIGN
} gesso_unary_op;

/// y[i] = a[i] op b[i], n elements (same shapes).
void gesso_binary(gesso_binary_op op, const float *a, const float *b, float *y, int64_t n);
/// y[i] = a[i] op s (scalar on the right) or s op a[i] when scalar_left != 0.
void gesso_binary_scalar(gesso_binary_op op, const float *a, float s, int scalar_left, float *y, int64_t n);
/// y[r, c] = a[r, c] op b[c]: the trailing-axis broadcast (bias add), rows x cols elements.
void gesso_binary_rows(gesso_binary_op op, const float *a, const float *b, float *y, int64_t rows, int64_t cols);
/// y[i] = f(x[i]); alpha is the slope of leaky_relu and the scale of elu.
void gesso_unary(gesso_unary_op op, const float *x, float alpha, float *y, int64_t n);
/// dx[i] = dy[i] * f'(.) where f' is computed from the input x (relu, relu6, leaky_relu, elu, abs, square, log,
/// sign) or from the output y (tanh, sigmoid, exp, sqrt). Pass both; each op reads what it needs.
void gesso_unary_backward(gesso_unary_op op, const float *x, const float *y, const float *dy, float alpha,
                          float *dx, int64_t n);
/// y[i] += alpha * x[i]
void gesso_axpy(float alpha, const float *x, float *y, int64_t n);
/// Sum of n elements, accumulated in double.
double gesso_sum(const float *x, int64_t n);
/// out[c] = sum over r of x[r, c] (accumulated in double); the gradient of a bias add.
void gesso_column_sums(const float *x, int64_t rows, int64_t cols, float *out);
/// Per-column mean and biased variance of x[rows, cols] (batch norm over N*H*W rows of NHWC), in double.
void gesso_column_moments(const float *x, int64_t rows, int64_t cols, float *mean, float *variance);

#ifdef __cplusplus
}
#endif
#endif

#ifndef GESSO_POOL_KERNELS
#define GESSO_POOL_KERNELS
#ifdef __cplusplus
extern "C" {
#endif
/// Pooling over NHWC images `[batch, in_h, in_w, channels]` -> `[batch, out_h, out_w, channels]`, for the
/// samples [batch_begin, batch_end) (callers split the batch across cores). Windows start at
/// (oy * stride_h - pad_top, ox * stride_w - pad_left); padding never takes part.
/// Max: `argmax` (one int32 per output element, NULL for inference) records the window tap (ky * kernel_w + kx)
/// of the first maximum in row-major order, as TensorFlow's MaxPoolGrad picks it. A window wholly in padding gives 0 and tap -1.
void gesso_max_pool_forward(const float *x, float *y, int32_t *argmax, int64_t batch_begin, int64_t batch_end,
                            int64_t in_h, int64_t in_w, int64_t channels, int64_t out_h, int64_t out_w,
                            int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                            int64_t pad_top, int64_t pad_left);
/// dx (zeroed here for the given samples) += dy at each window's recorded maximum.
void gesso_max_pool_backward(const float *dy, const int32_t *argmax, float *dx, int64_t batch_begin,
                             int64_t batch_end, int64_t in_h, int64_t in_w, int64_t channels, int64_t out_h,
                             int64_t out_w, int64_t kernel_h, int64_t kernel_w, int64_t stride_h, int64_t stride_w,
                             int64_t pad_top, int64_t pad_left);
/// Average over the real (unpadded) elements of each window.
void gesso_avg_pool_forward(const float *x, float *y, int64_t batch_begin, int64_t batch_end, int64_t in_h,
                            int64_t in_w, int64_t channels, int64_t out_h, int64_t out_w, int64_t kernel_h,
                            int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left);
/// dx (zeroed here for the given samples) += dy / (real elements of the window) over each window.
void gesso_avg_pool_backward(const float *dy, float *dx, int64_t batch_begin, int64_t batch_end, int64_t in_h,
                             int64_t in_w, int64_t channels, int64_t out_h, int64_t out_w, int64_t kernel_h,
                             int64_t kernel_w, int64_t stride_h, int64_t stride_w, int64_t pad_top, int64_t pad_left);
#ifdef __cplusplus
}
#endif
#endif

#ifndef GESSO_PARALLEL
#define GESSO_PARALLEL
#ifdef __cplusplus
extern "C" {
#endif
/// Runs fn(context, c) for c in 0..<chunks on the OpenMP team oneDNN also uses, so Gesso's own loops and
/// oneDNN's never compete for cores (and the team's brief spin after a oneDNN call wakes it fast for ours).
typedef void (*gesso_chunk_fn)(void *context, int64_t chunk);
void gesso_parallel_chunks(int64_t chunks, gesso_chunk_fn fn, void *context);
#ifdef __cplusplus
}
#endif
#endif

#ifndef GESSO_NORM_KERNELS
#define GESSO_NORM_KERNELS
#ifdef __cplusplus
extern "C" {
#endif
/// y[r, c] = x[r, c] * scale[c] + shift[c] (normalisation's affine step, one pass).
void gesso_scale_shift_rows(const float *x, const float *scale, const float *shift, float *y, int64_t rows, int64_t cols);
/// Per column over rows: sum_dy[c] = sum dy[r, c]; sum_dy_xhat[c] = sum dy[r, c] * (x[r, c] - mean[c]) * inv_std[c]
/// (accumulated in double): the two sums of a normalisation's backward pass.
void gesso_norm_backward_sums(const float *x, const float *dy, const float *mean, const float *inv_std, int64_t rows,
                              int64_t cols, double *sum_dy, double *sum_dy_xhat);
/// dx[r, c] = k1[c] * (dy[r, c] - k2[c] - (x[r, c] - mean[c]) * inv_std[c] * k3[c]).
void gesso_norm_backward_dx(const float *x, const float *dy, const float *mean, const float *inv_std, const float *k1,
                            const float *k2, const float *k3, float *dx, int64_t rows, int64_t cols);
#ifdef __cplusplus
}
#endif
#endif
