#include "gesso_kernels.h"
#include <math.h>
#include <stdlib.h>

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

static inline float apply_binary(gesso_binary_op op, float a, float b) {
    switch (op) {
    case GESSO_BINARY_ADD: return a + b;
    case GESSO_BINARY_SUB: return a - b;
    case GESSO_BINARY_MUL: return a * b;
    case GESSO_BINARY_DIV: return a / b;
    case GESSO_BINARY_MAX: return a > b ? a : b;
    case GESSO_BINARY_MIN: return a < b ? a : b;
    }
    return 0;
}

// One loop per op so that each vectorises on its own.
#define BINARY_LOOP(EXPR)                                   \
    for (int64_t i = 0; i < n; i++) { float x = a[i], z = b[i]; y[i] = (EXPR); }

CLONES void gesso_binary(gesso_binary_op op, const float *restrict a, const float *restrict b,
                         float *restrict y, int64_t n) {
    switch (op) {
    case GESSO_BINARY_ADD: BINARY_LOOP(x + z) break;
    case GESSO_BINARY_SUB: BINARY_LOOP(x - z) break;
    case GESSO_BINARY_MUL: BINARY_LOOP(x * z) break;
    case GESSO_BINARY_DIV: BINARY_LOOP(x / z) break;
    case GESSO_BINARY_MAX: BINARY_LOOP(x > z ? x : z) break;
    case GESSO_BINARY_MIN: BINARY_LOOP(x < z ? x : z) break;
    }
}

CLONES void gesso_binary_scalar(gesso_binary_op op, const float *restrict a, float s, int scalar_left,
                                float *restrict y, int64_t n) {
    if (scalar_left) {
        switch (op) {
        case GESSO_BINARY_SUB: for (int64_t i = 0; i < n; i++) y[i] = s - a[i]; return;
        case GESSO_BINARY_DIV: for (int64_t i = 0; i < n; i++) y[i] = s / a[i]; return;
        default: break;  // commutative
        }
    }
    switch (op) {
    case GESSO_BINARY_ADD: for (int64_t i = 0; i < n; i++) y[i] = a[i] + s; break;
    case GESSO_BINARY_SUB: for (int64_t i = 0; i < n; i++) y[i] = a[i] - s; break;
    case GESSO_BINARY_MUL: for (int64_t i = 0; i < n; i++) y[i] = a[i] * s; break;
    case GESSO_BINARY_DIV: for (int64_t i = 0; i < n; i++) y[i] = a[i] / s; break;
    case GESSO_BINARY_MAX: for (int64_t i = 0; i < n; i++) y[i] = a[i] > s ? a[i] : s; break;
    case GESSO_BINARY_MIN: for (int64_t i = 0; i < n; i++) y[i] = a[i] < s ? a[i] : s; break;
    }
}

CLONES void gesso_binary_rows(gesso_binary_op op, const float *restrict a, const float *restrict b,
                              float *restrict y, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        const float *ar = a + r * cols;
        float *yr = y + r * cols;
        switch (op) {
        case GESSO_BINARY_ADD: for (int64_t c = 0; c < cols; c++) yr[c] = ar[c] + b[c]; break;
        case GESSO_BINARY_MUL: for (int64_t c = 0; c < cols; c++) yr[c] = ar[c] * b[c]; break;
        default: for (int64_t c = 0; c < cols; c++) yr[c] = apply_binary(op, ar[c], b[c]); break;
        }
    }
}

CLONES void gesso_unary(gesso_unary_op op, const float *restrict x, float alpha, float *restrict y, int64_t n) {
    switch (op) {
    case GESSO_UNARY_RELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
    case GESSO_UNARY_RELU6:
        for (int64_t i = 0; i < n; i++) { float v = x[i] > 0 ? x[i] : 0; y[i] = v < 6 ? v : 6; }
        break;
    case GESSO_UNARY_LEAKY_RELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : alpha * x[i]; break;
    case GESSO_UNARY_ELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : alpha * expm1f(x[i]); break;
    case GESSO_UNARY_TANH: for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]); break;
    case GESSO_UNARY_SIGMOID:
        // Stable on both sides: never exponentiates a large positive number.
        for (int64_t i = 0; i < n; i++) {
            float e = expf(-fabsf(x[i]));
            y[i] = x[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
        }
        break;
    case GESSO_UNARY_EXP: for (int64_t i = 0; i < n; i++) y[i] = expf(x[i]); break;
    case GESSO_UNARY_LOG: for (int64_t i = 0; i < n; i++) y[i] = logf(x[i]); break;
    case GESSO_UNARY_NEG: for (int64_t i = 0; i < n; i++) y[i] = -x[i]; break;
    case GESSO_UNARY_SQUARE: for (int64_t i = 0; i < n; i++) y[i] = x[i] * x[i]; break;
    case GESSO_UNARY_SQRT: for (int64_t i = 0; i < n; i++) y[i] = sqrtf(x[i]); break;
    case GESSO_UNARY_ABS: for (int64_t i = 0; i < n; i++) y[i] = fabsf(x[i]); break;
    case GESSO_UNARY_SIGN: for (int64_t i = 0; i < n; i++) y[i] = (float)((x[i] > 0) - (x[i] < 0)); break;
    }
}

CLONES void gesso_unary_backward(gesso_unary_op op, const float *restrict x, const float *restrict y,
                                 const float *restrict dy, float alpha, float *restrict dx, int64_t n) {
    switch (op) {
    case GESSO_UNARY_RELU: for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0; break;
    case GESSO_UNARY_RELU6: for (int64_t i = 0; i < n; i++) dx[i] = (x[i] > 0 && x[i] < 6) ? dy[i] : 0; break;
    case GESSO_UNARY_LEAKY_RELU: for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i]; break;
    case GESSO_UNARY_ELU: for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : dy[i] * (y[i] + alpha); break;
    case GESSO_UNARY_TANH: for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (1 - y[i] * y[i]); break;
    case GESSO_UNARY_SIGMOID: for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * y[i] * (1 - y[i]); break;
    case GESSO_UNARY_EXP: for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * y[i]; break;
    case GESSO_UNARY_LOG: for (int64_t i = 0; i < n; i++) dx[i] = dy[i] / x[i]; break;
    case GESSO_UNARY_NEG: for (int64_t i = 0; i < n; i++) dx[i] = -dy[i]; break;
    case GESSO_UNARY_SQUARE: for (int64_t i = 0; i < n; i++) dx[i] = 2 * x[i] * dy[i]; break;
    case GESSO_UNARY_SQRT: for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * 0.5f / y[i]; break;
    case GESSO_UNARY_ABS: for (int64_t i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : (x[i] < 0 ? -dy[i] : 0); break;
    case GESSO_UNARY_SIGN: for (int64_t i = 0; i < n; i++) dx[i] = 0; break;
    }
}

CLONES void gesso_axpy(float alpha, const float *restrict x, float *restrict y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

CLONES double gesso_sum(const float *restrict x, int64_t n) {
    // Blocks of float partial sums (vectorised), folded into a double: accurate and fast.
    double total = 0;
    for (int64_t start = 0; start < n; start += 4096) {
        int64_t end = start + 4096 < n ? start + 4096 : n;
        float block = 0;
        for (int64_t i = start; i < end; i++) block += x[i];
        total += block;
    }
    return total;
}

CLONES void gesso_column_sums(const float *restrict x, int64_t rows, int64_t cols, float *restrict out) {
    double *acc = calloc((size_t)cols, sizeof(double));
    float *part = calloc((size_t)cols, sizeof(float));
    if (!acc || !part) { free(acc); free(part); for (int64_t c = 0; c < cols; c++) out[c] = NAN; return; }
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        for (int64_t c = 0; c < cols; c++) part[c] += xr[c];
        if ((r & 255) == 255) {
            for (int64_t c = 0; c < cols; c++) { acc[c] += part[c]; part[c] = 0; }
        }
    }
    for (int64_t c = 0; c < cols; c++) out[c] = (float)(acc[c] + part[c]);
    free(acc);
    free(part);
}

CLONES void gesso_column_moments(const float *restrict x, int64_t rows, int64_t cols, float *restrict mean,
                                 float *restrict variance) {
    gesso_column_sums(x, rows, cols, mean);
    for (int64_t c = 0; c < cols; c++) mean[c] /= (float)rows;
    double *acc = calloc((size_t)cols, sizeof(double));
    float *part = calloc((size_t)cols, sizeof(float));
    if (!acc || !part) { free(acc); free(part); for (int64_t c = 0; c < cols; c++) variance[c] = NAN; return; }
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        for (int64_t c = 0; c < cols; c++) { float d = xr[c] - mean[c]; part[c] += d * d; }
        if ((r & 255) == 255) {
            for (int64_t c = 0; c < cols; c++) { acc[c] += part[c]; part[c] = 0; }
        }
    }
    for (int64_t c = 0; c < cols; c++) variance[c] = (float)((acc[c] + part[c]) / (double)rows);
    free(acc);
    free(part);
}
