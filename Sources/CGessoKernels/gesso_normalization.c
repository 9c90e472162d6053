// The loops of batch and instance normalisation, vectorised over channels.
#include "gesso_kernels.h"
#include <stdlib.h>

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

CLONES void gesso_scale_shift_rows(const float *restrict x, const float *restrict scale, const float *restrict shift,
                                   float *restrict y, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict xr = x + r * cols;
        float *restrict yr = y + r * cols;
        for (int64_t c = 0; c < cols; c++) yr[c] = xr[c] * scale[c] + shift[c];
    }
}

CLONES void gesso_norm_backward_sums(const float *restrict x, const float *restrict dy, const float *restrict mean,
                                     const float *restrict inv_std, int64_t rows, int64_t cols,
                                     double *restrict sum_dy, double *restrict sum_dy_xhat) {
    // Float partial sums over blocks of 256 rows (vectorised), folded into double.
    float *part = calloc((size_t)(2 * cols), sizeof(float));
    if (!part) return;
    float *p1 = part, *p2 = part + cols;
    for (int64_t c = 0; c < cols; c++) { sum_dy[c] = 0; sum_dy_xhat[c] = 0; }
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict xr = x + r * cols, *restrict gr = dy + r * cols;
        for (int64_t c = 0; c < cols; c++) {
            p1[c] += gr[c];
            p2[c] += gr[c] * (xr[c] - mean[c]) * inv_std[c];
        }
        if ((r & 255) == 255 || r == rows - 1) {
            for (int64_t c = 0; c < cols; c++) { sum_dy[c] += p1[c]; sum_dy_xhat[c] += p2[c]; p1[c] = 0; p2[c] = 0; }
        }
    }
    free(part);
}

CLONES void gesso_norm_backward_dx(const float *restrict x, const float *restrict dy, const float *restrict mean,
                                   const float *restrict inv_std, const float *restrict k1, const float *restrict k2,
                                   const float *restrict k3, float *restrict dx, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        const float *restrict xr = x + r * cols, *restrict gr = dy + r * cols;
        float *restrict dr = dx + r * cols;
        for (int64_t c = 0; c < cols; c++)
            dr[c] = k1[c] * (gr[c] - k2[c] - (xr[c] - mean[c]) * inv_std[c] * k3[c]);
    }
}
