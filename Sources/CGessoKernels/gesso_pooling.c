// Hand-written NHWC pooling: the inner loop runs over channels (contiguous), so it vectorises; each sample's
// output and input gradient are written by one thread only.
#include "gesso_kernels.h"
#include <string.h>

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

static inline int64_t lo(int64_t start) { return start < 0 ? -start : 0; }
static inline int64_t hi(int64_t start, int64_t k, int64_t n) { return start + k > n ? n - start : k; }

CLONES void gesso_max_pool_forward(const float *restrict x, float *restrict y, int32_t *restrict argmax,
                                   int64_t b0, int64_t b1, int64_t ih, int64_t iw, int64_t c, int64_t oh,
                                   int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t pt,
                                   int64_t pl) {
    for (int64_t n = b0; n < b1; n++) {
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t y0 = oy * sh - pt, ky0 = lo(y0), ky1 = hi(y0, kh, ih);
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t x0 = ox * sw - pl, kx0 = lo(x0), kx1 = hi(x0, kw, iw);
                float *restrict out = y + ((n * oh + oy) * ow + ox) * c;
                int32_t *restrict arg = argmax ? argmax + ((n * oh + oy) * ow + ox) * c : NULL;
                int first = 1;
                for (int64_t ky = ky0; ky < ky1; ky++) {
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        const float *restrict in = x + ((n * ih + y0 + ky) * iw + x0 + kx) * c;
                        int32_t tap = (int32_t)(ky * kw + kx);
                        if (first) {
                            memcpy(out, in, (size_t)c * sizeof(float));
                            if (arg) for (int64_t ch = 0; ch < c; ch++) arg[ch] = tap;
                            first = 0;
                        } else if (arg) {
                            for (int64_t ch = 0; ch < c; ch++) {
                                int better = in[ch] > out[ch];
                                out[ch] = better ? in[ch] : out[ch];
                                arg[ch] = better ? tap : arg[ch];
                            }
                        } else {
                            for (int64_t ch = 0; ch < c; ch++) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
                        }
                    }
                }
                if (first) {  // a window wholly in the padding: 0, and no gradient (tap -1)
                    memset(out, 0, (size_t)c * sizeof(float));
                    if (arg) for (int64_t ch = 0; ch < c; ch++) arg[ch] = -1;
                }
            }
        }
    }
}

CLONES void gesso_max_pool_backward(const float *restrict dy, const int32_t *restrict argmax, float *restrict dx,
                                    int64_t b0, int64_t b1, int64_t ih, int64_t iw, int64_t c, int64_t oh,
                                    int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t pt,
                                    int64_t pl) {
    memset(dx + b0 * ih * iw * c, 0, (size_t)((b1 - b0) * ih * iw * c) * sizeof(float));
    for (int64_t n = b0; n < b1; n++) {
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t y0 = oy * sh - pt, ky0 = lo(y0), ky1 = hi(y0, kh, ih);
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t x0 = ox * sw - pl, kx0 = lo(x0), kx1 = hi(x0, kw, iw);
                int64_t o = ((n * oh + oy) * ow + ox) * c;
                const float *restrict g = dy + o;
                const int32_t *restrict arg = argmax + o;
                // One pass per tap, selecting the channels whose maximum sat there (vectorises).
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        int32_t tap = (int32_t)(ky * kw + kx);
                        float *restrict d = dx + ((n * ih + y0 + ky) * iw + x0 + kx) * c;
                        for (int64_t ch = 0; ch < c; ch++) d[ch] += arg[ch] == tap ? g[ch] : 0.0f;
                    }
            }
        }
    }
}

CLONES void gesso_avg_pool_forward(const float *restrict x, float *restrict y, int64_t b0, int64_t b1, int64_t ih,
                                   int64_t iw, int64_t c, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                                   int64_t sh, int64_t sw, int64_t pt, int64_t pl) {
    for (int64_t n = b0; n < b1; n++) {
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t y0 = oy * sh - pt, ky0 = lo(y0), ky1 = hi(y0, kh, ih);
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t x0 = ox * sw - pl, kx0 = lo(x0), kx1 = hi(x0, kw, iw);
                float *restrict out = y + ((n * oh + oy) * ow + ox) * c;
                memset(out, 0, (size_t)c * sizeof(float));
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        const float *restrict in = x + ((n * ih + y0 + ky) * iw + x0 + kx) * c;
                        for (int64_t ch = 0; ch < c; ch++) out[ch] += in[ch];
                    }
                int64_t taps = (ky1 - ky0) * (kx1 - kx0);
                float inv = taps > 0 ? 1.0f / (float)taps : 0.0f;
                for (int64_t ch = 0; ch < c; ch++) out[ch] *= inv;
            }
        }
    }
}

CLONES void gesso_avg_pool_backward(const float *restrict dy, float *restrict dx, int64_t b0, int64_t b1, int64_t ih,
                                    int64_t iw, int64_t c, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                                    int64_t sh, int64_t sw, int64_t pt, int64_t pl) {
    memset(dx + b0 * ih * iw * c, 0, (size_t)((b1 - b0) * ih * iw * c) * sizeof(float));
    for (int64_t n = b0; n < b1; n++) {
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t y0 = oy * sh - pt, ky0 = lo(y0), ky1 = hi(y0, kh, ih);
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t x0 = ox * sw - pl, kx0 = lo(x0), kx1 = hi(x0, kw, iw);
                const float *restrict g = dy + ((n * oh + oy) * ow + ox) * c;
                int64_t taps = (ky1 - ky0) * (kx1 - kx0);
                if (taps == 0) continue;
                float inv = 1.0f / (float)taps;
                for (int64_t ky = ky0; ky < ky1; ky++)
                    for (int64_t kx = kx0; kx < kx1; kx++) {
                        float *restrict d = dx + ((n * ih + y0 + ky) * iw + x0 + kx) * c;
                        for (int64_t ch = 0; ch < c; ch++) d[ch] += g[ch] * inv;
                    }
            }
        }
    }
}
