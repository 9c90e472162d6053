// oneDNN wrapper: primitives cached by shape, weights reordered only when their version changes.
// All calls are serialised by one mutex: oneDNN's default build shares a scratchpad between executions of a
// primitive, and the cache itself is shared. oneDNN parallelises each call internally (OpenMP).
#include "gesso_dnnl.h"
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static __thread char last_error[512];

const char *gesso_dnnl_last_error(void) { return last_error; }

#define CHECK(call)                                                                             \
    do {                                                                                        \
        dnnl_status_t s_ = (call);                                                              \
        if (s_ != dnnl_success) {                                                               \
            snprintf(last_error, sizeof last_error, "oneDNN %s failed: %s", #call,              \
                     dnnl_status2str(s_));                                                      \
            return (int)s_;                                                                     \
        }                                                                                       \
    } while (0)

static int ensure_engine(void) {
    if (engine) return 0;
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    return 0;
}

// ---- cache ---------------------------------------------------------------------------------------------
enum kind { K_CONV_FWD = 1, K_CONV_BWD_DATA, K_CONV_BWD_WEIGHTS, K_POOL_FWD_TRAIN, K_POOL_FWD_INFER,
            K_POOL_BWD, K_MATMUL };

typedef struct entry {
    int kind;
    unsigned char key[sizeof(gesso_conv_desc) > sizeof(gesso_pool_desc) ? sizeof(gesso_conv_desc)
                                                                            : sizeof(gesso_pool_desc)];
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    // The memory descriptors of the caller's buffers (the primitive's arguments in order a, b, c).
    dnnl_memory_desc_t md[3];
    // Weights: the user's layout, the primitive's layout (owned by pd), a reorder between them (NULL when they
    // agree), and the primitive-layout copy with the version it was made from.
    dnnl_memory_desc_t user_w_md;
    const_dnnl_memory_desc_t prim_w_md;
    dnnl_primitive_t w_reorder;
    void *w_buffer;
    const void *w_from;
    uint64_t w_version;
    struct entry *next;
} entry;

static entry *cache_head;
static int64_t cache_count;

int64_t gesso_dnnl_cached_primitives(void) {
    pthread_mutex_lock(&lock);
    int64_t n = cache_count;
    pthread_mutex_unlock(&lock);
    return n;
}

static entry *find(int kind, const void *key, size_t size) {
    for (entry *e = cache_head; e; e = e->next)
        if (e->kind == kind && memcmp(e->key, key, size) == 0) return e;
    return NULL;
}

// A new entry, not yet visible: publish() links it once its primitive exists, so a failed set-up never
// leaves a half-made entry in the cache.
static entry *insert(int kind, const void *key, size_t size) {
    entry *e = calloc(1, sizeof(entry));
    if (!e) return NULL;
    e->kind = kind;
    memcpy(e->key, key, size);
    return e;
}

static void publish(entry *e) {
    e->next = cache_head;
    cache_head = e;
    cache_count++;
}

static int execute(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
    CHECK(dnnl_primitive_execute(p, stream, nargs, args));
    CHECK(dnnl_stream_wait(stream));
    return 0;
}

// A memory object over a caller's buffer (created per call: cheap, no allocation of data).
static int wrap(dnnl_memory_t *m, const_dnnl_memory_desc_t md, const void *data) {
    CHECK(dnnl_memory_create(m, md, engine, (void *)data));
    return 0;
}

static int reorder_prim(dnnl_primitive_t *out, const_dnnl_memory_desc_t from, const_dnnl_memory_desc_t to) {
    dnnl_primitive_desc_t rpd;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, from, engine, to, engine, NULL));
    dnnl_status_t s = dnnl_primitive_create(out, rpd);
    dnnl_primitive_desc_destroy(rpd);
    CHECK(s);
    return 0;
}

static int run_reorder(dnnl_primitive_t r, const_dnnl_memory_desc_t from_md, const void *from,
                       const_dnnl_memory_desc_t to_md, void *to) {
    dnnl_memory_t a, b;
    int rc = wrap(&a, from_md, from);
    if (rc) return rc;
    rc = wrap(&b, to_md, to);
    if (rc) { dnnl_memory_destroy(a); return rc; }
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
    rc = execute(r, 2, args);
    dnnl_memory_destroy(a);
    dnnl_memory_destroy(b);
    return rc;
}

// Set up the weights half of an entry: user md vs primitive md, the reorder, the buffer.
static int setup_weights(entry *e, dnnl_memory_desc_t user_md, dnnl_query_t which, int to_user) {
    e->user_w_md = user_md;
    e->prim_w_md = dnnl_primitive_desc_query_md(e->pd, which, 0);
    if (dnnl_memory_desc_equal(e->user_w_md, e->prim_w_md)) return 0;
    int rc = to_user ? reorder_prim(&e->w_reorder, e->prim_w_md, e->user_w_md)
                     : reorder_prim(&e->w_reorder, e->user_w_md, e->prim_w_md);
    if (rc) return rc;
    e->w_buffer = aligned_alloc(64, (dnnl_memory_desc_get_size(e->prim_w_md) + 63) / 64 * 64);
    if (!e->w_buffer) { snprintf(last_error, sizeof last_error, "out of memory for weights"); return -1; }
    return 0;
}

// The weights in the primitive's layout: the user's buffer itself, the cached copy, or a fresh reorder.
static int weights_for(entry *e, const float *w, uint64_t version, const void **out) {
    if (!e->w_reorder) { *out = w; return 0; }
    if (version == 0 || e->w_from != w || e->w_version != version) {
        int rc = run_reorder(e->w_reorder, e->user_w_md, w, e->prim_w_md, e->w_buffer);
        if (rc) return rc;
        e->w_from = w;
        e->w_version = version;
    }
    *out = e->w_buffer;
    return 0;
}

// ---- convolution ---------------------------------------------------------------------------------------
typedef struct {
    dnnl_memory_desc_t src, dst, w_any, w_user;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_mds;

static int conv_make_mds(const gesso_conv_desc *d, conv_mds *m) {
    dnnl_dims_t sd = {d->batch, d->in_c, d->in_h, d->in_w};
    dnnl_dims_t dd = {d->batch, d->out_c, d->out_h, d->out_w};
    CHECK(dnnl_memory_desc_create_with_tag(&m->src, 4, sd, dnnl_f32, dnnl_nhwc));
    CHECK(dnnl_memory_desc_create_with_tag(&m->dst, 4, dd, dnnl_f32, dnnl_nhwc));
    if (d->groups == 1) {
        dnnl_dims_t wd = {d->out_c, d->in_c, d->kernel_h, d->kernel_w};
        dnnl_dims_t ws = {d->weight_strides[1], d->weight_strides[2], d->weight_strides[3], d->weight_strides[4]};
        CHECK(dnnl_memory_desc_create_with_tag(&m->w_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_create_with_strides(&m->w_user, 4, wd, dnnl_f32, ws));
    } else {
        dnnl_dims_t wd = {d->groups, d->out_c / d->groups, d->in_c / d->groups, d->kernel_h, d->kernel_w};
        CHECK(dnnl_memory_desc_create_with_tag(&m->w_any, 5, wd, dnnl_f32, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_create_with_strides(&m->w_user, 5, wd, dnnl_f32, d->weight_strides));
    }
    m->strides[0] = d->stride_h; m->strides[1] = d->stride_w;
    m->dilates[0] = d->dilation_h - 1; m->dilates[1] = d->dilation_w - 1;  // oneDNN counts the gaps
    m->pad_l[0] = d->pad_top; m->pad_l[1] = d->pad_left;
    m->pad_r[0] = d->pad_bottom; m->pad_r[1] = d->pad_right;
    return 0;
}

static int conv_entry(const gesso_conv_desc *d, int kind, entry **out) {
    entry *e = find(kind, d, sizeof *d);
    if (e) { *out = e; return 0; }
    conv_mds m;
    int rc = conv_make_mds(d, &m);
    if (rc) return rc;
    dnnl_primitive_desc_t fwd = NULL;
    CHECK(dnnl_convolution_forward_primitive_desc_create(&fwd, engine, dnnl_forward_training,
        dnnl_convolution_direct, m.src, m.w_any, NULL, m.dst, m.strides, m.dilates, m.pad_l, m.pad_r, NULL));
    e = insert(kind, d, sizeof *d);
    if (!e) { snprintf(last_error, sizeof last_error, "out of memory"); return -1; }
    if (kind == K_CONV_FWD) {
        e->pd = fwd;
        fwd = NULL;
        e->md[0] = m.src; e->md[2] = m.dst;
        if ((rc = setup_weights(e, m.w_user, dnnl_query_weights_md, 0))) return rc;
    } else if (kind == K_CONV_BWD_DATA) {
        CHECK(dnnl_convolution_backward_data_primitive_desc_create(&e->pd, engine, dnnl_convolution_direct,
            m.src, m.w_any, m.dst, m.strides, m.dilates, m.pad_l, m.pad_r, fwd, NULL));
        e->md[0] = m.dst; e->md[2] = m.src;
        if ((rc = setup_weights(e, m.w_user, dnnl_query_weights_md, 0))) return rc;
    } else {
        CHECK(dnnl_convolution_backward_weights_primitive_desc_create(&e->pd, engine, dnnl_convolution_direct,
            m.src, m.w_any, NULL, m.dst, m.strides, m.dilates, m.pad_l, m.pad_r, fwd, NULL));
        e->md[0] = m.src; e->md[1] = m.dst;
        if ((rc = setup_weights(e, m.w_user, dnnl_query_diff_weights_md, 1))) return rc;
    }
    if (fwd) dnnl_primitive_desc_destroy(fwd);
    dnnl_memory_desc_destroy(m.w_any);
    CHECK(dnnl_primitive_create(&e->prim, e->pd));
    publish(e);
    *out = e;
    return 0;
}

// Runs one of the three convolution primitives; a and b are the two inputs, c the output.
static int conv_run(const gesso_conv_desc *d, int kind, const float *a, const float *b, uint64_t version,
                    float *c) {
    pthread_mutex_lock(&lock);
    entry *e = NULL;
    int rc = ensure_engine();
    if (!rc) rc = conv_entry(d, kind, &e);
    if (rc) { pthread_mutex_unlock(&lock); return rc; }
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL;
    dnnl_exec_arg_t args[3];
    if (kind == K_CONV_FWD || kind == K_CONV_BWD_DATA) {
        const void *w;
        if ((rc = weights_for(e, b, version, &w))) goto done;
        if ((rc = wrap(&ma, e->md[0], a))) goto done;
        if ((rc = wrap(&mb, e->prim_w_md, w))) goto done;
        if ((rc = wrap(&mc, e->md[2], c))) goto done;
        args[0] = (dnnl_exec_arg_t){kind == K_CONV_FWD ? DNNL_ARG_SRC : DNNL_ARG_DIFF_DST, ma};
        args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, mb};
        args[2] = (dnnl_exec_arg_t){kind == K_CONV_FWD ? DNNL_ARG_DST : DNNL_ARG_DIFF_SRC, mc};
        rc = execute(e->prim, 3, args);
    } else {
        void *dw = e->w_reorder ? e->w_buffer : (void *)c;
        if ((rc = wrap(&ma, e->md[0], a))) goto done;
        if ((rc = wrap(&mb, e->md[1], b))) goto done;
        if ((rc = wrap(&mc, e->prim_w_md, dw))) goto done;
        args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, ma};
        args[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, mb};
        args[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, mc};
        rc = execute(e->prim, 3, args);
        if (!rc && e->w_reorder) rc = run_reorder(e->w_reorder, e->prim_w_md, dw, e->user_w_md, c);
    }
done:
    if (ma) dnnl_memory_destroy(ma);
    if (mb) dnnl_memory_destroy(mb);
    if (mc) dnnl_memory_destroy(mc);
    pthread_mutex_unlock(&lock);
    return rc;
}

int gesso_conv_forward(const gesso_conv_desc *d, const float *src, const float *w, uint64_t v, float *dst) {
    return conv_run(d, K_CONV_FWD, src, w, v, dst);
}
int gesso_conv_backward_data(const gesso_conv_desc *d, const float *dy, const float *w, uint64_t v, float *dx) {
    return conv_run(d, K_CONV_BWD_DATA, dy, w, v, dx);
}
int gesso_conv_backward_weights(const gesso_conv_desc *d, const float *src, const float *dy, float *dw) {
    return conv_run(d, K_CONV_BWD_WEIGHTS, src, dy, 0, dw);
}

// ---- pooling -------------------------------------------------------------------------------------------
typedef struct {
    dnnl_memory_desc_t src, dst;
    dnnl_dims_t strides, kernel, dilation, pad_l, pad_r;
    dnnl_alg_kind_t alg;
} pool_mds;

static int pool_make_mds(const gesso_pool_desc *d, pool_mds *m) {
    dnnl_dims_t sd = {d->batch, d->channels, d->in_h, d->in_w};
    dnnl_dims_t dd = {d->batch, d->channels, d->out_h, d->out_w};
    CHECK(dnnl_memory_desc_create_with_tag(&m->src, 4, sd, dnnl_f32, dnnl_nhwc));
    CHECK(dnnl_memory_desc_create_with_tag(&m->dst, 4, dd, dnnl_f32, dnnl_nhwc));
    m->strides[0] = d->stride_h; m->strides[1] = d->stride_w;
    m->kernel[0] = d->kernel_h; m->kernel[1] = d->kernel_w;
    m->dilation[0] = 0; m->dilation[1] = 0;
    m->pad_l[0] = d->pad_top; m->pad_l[1] = d->pad_left;
    m->pad_r[0] = d->pad_bottom; m->pad_r[1] = d->pad_right;
    m->alg = d->is_max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding;
    return 0;
}

static int pool_forward_pd(const pool_mds *m, dnnl_prop_kind_t prop, dnnl_primitive_desc_t *pd) {
    CHECK(dnnl_pooling_forward_primitive_desc_create(pd, engine, prop, m->alg, m->src, m->dst, m->strides,
                                                     m->kernel, m->dilation, m->pad_l, m->pad_r, NULL));
    return 0;
}

static int pool_entry(const gesso_pool_desc *d, int kind, entry **out) {
    entry *e = find(kind, d, sizeof *d);
    if (e) { *out = e; return 0; }
    pool_mds m;
    int rc = pool_make_mds(d, &m);
    if (rc) return rc;
    e = insert(kind, d, sizeof *d);
    if (!e) { snprintf(last_error, sizeof last_error, "out of memory"); return -1; }
    if (kind == K_POOL_BWD) {
        dnnl_primitive_desc_t fwd;
        if ((rc = pool_forward_pd(&m, dnnl_forward_training, &fwd))) return rc;
        CHECK(dnnl_pooling_backward_primitive_desc_create(&e->pd, engine, m.alg, m.src, m.dst, m.strides,
                                                          m.kernel, m.dilation, m.pad_l, m.pad_r, fwd, NULL));
        dnnl_primitive_desc_destroy(fwd);
        e->md[0] = m.dst; e->md[2] = m.src;
    } else {
        rc = pool_forward_pd(&m, kind == K_POOL_FWD_TRAIN ? dnnl_forward_training : dnnl_forward_inference, &e->pd);
        if (rc) return rc;
        e->md[0] = m.src; e->md[2] = m.dst;
    }
    CHECK(dnnl_primitive_create(&e->prim, e->pd));
    publish(e);
    *out = e;
    return 0;
}

size_t gesso_pool_workspace_size(const gesso_pool_desc *d) {
    if (!d->is_max) return 0;
    pthread_mutex_lock(&lock);
    entry *e = NULL;
    size_t size = 0;
    if (!ensure_engine() && !pool_entry(d, K_POOL_FWD_TRAIN, &e)) {
        const_dnnl_memory_desc_t ws = dnnl_primitive_desc_query_md(e->pd, dnnl_query_workspace_md, 0);
        size = ws ? dnnl_memory_desc_get_size(ws) : 0;
    }
    pthread_mutex_unlock(&lock);
    return size;
}

static int pool_run(const gesso_pool_desc *d, int kind, const float *in, float *out, const void *ws) {
    pthread_mutex_lock(&lock);
    entry *e = NULL;
    int rc = ensure_engine();
    if (!rc) rc = pool_entry(d, kind, &e);
    if (rc) { pthread_mutex_unlock(&lock); return rc; }
    dnnl_memory_t mi = NULL, mo = NULL, mw = NULL;
    dnnl_exec_arg_t args[3];
    int n = 2;
    int backward = kind == K_POOL_BWD;
    if ((rc = wrap(&mi, e->md[0], in))) goto done;
    if ((rc = wrap(&mo, e->md[2], out))) goto done;
    args[0] = (dnnl_exec_arg_t){backward ? DNNL_ARG_DIFF_DST : DNNL_ARG_SRC, mi};
    args[1] = (dnnl_exec_arg_t){backward ? DNNL_ARG_DIFF_SRC : DNNL_ARG_DST, mo};
    if (ws) {
        const_dnnl_memory_desc_t wmd = dnnl_primitive_desc_query_md(e->pd, dnnl_query_workspace_md, 0);
        if (wmd && dnnl_memory_desc_get_size(wmd) > 0) {
            if ((rc = wrap(&mw, wmd, ws))) goto done;
            args[n++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, mw};
        }
    }
    rc = execute(e->prim, n, args);
done:
    if (mi) dnnl_memory_destroy(mi);
    if (mo) dnnl_memory_destroy(mo);
    if (mw) dnnl_memory_destroy(mw);
    pthread_mutex_unlock(&lock);
    return rc;
}

int gesso_pool_forward(const gesso_pool_desc *d, const float *src, float *dst, void *workspace) {
    if (workspace || !d->is_max) return pool_run(d, K_POOL_FWD_TRAIN, src, dst, workspace);
    return pool_run(d, K_POOL_FWD_INFER, src, dst, NULL);
}

int gesso_pool_backward(const gesso_pool_desc *d, const float *diff_dst, const void *workspace, float *diff_src) {
    return pool_run(d, K_POOL_BWD, diff_dst, diff_src, workspace);
}

// ---- matrix product ------------------------------------------------------------------------------------
int gesso_matmul(const gesso_matmul_desc *d, const float *a, const float *b, float *c) {
    pthread_mutex_lock(&lock);
    int rc = ensure_engine();
    if (rc) { pthread_mutex_unlock(&lock); return rc; }
    entry *e = find(K_MATMUL, d, sizeof *d);
    if (!e) {
        dnnl_dims_t ad = {d->m, d->k}, bd = {d->k, d->n}, cd = {d->m, d->n};
        dnnl_dims_t as = {d->a_row_stride, d->a_col_stride}, bs = {d->b_row_stride, d->b_col_stride};
        dnnl_status_t s = dnnl_out_of_memory;
        e = insert(K_MATMUL, d, sizeof *d);
        if (e) s = dnnl_memory_desc_create_with_strides(&e->md[0], 2, ad, dnnl_f32, as);
        if (s == dnnl_success) s = dnnl_memory_desc_create_with_strides(&e->md[1], 2, bd, dnnl_f32, bs);
        if (s == dnnl_success) s = dnnl_memory_desc_create_with_tag(&e->md[2], 2, cd, dnnl_f32, dnnl_ab);
        if (s == dnnl_success) s = dnnl_matmul_primitive_desc_create(&e->pd, engine, e->md[0], e->md[1], NULL, e->md[2], NULL);
        if (s == dnnl_success) s = dnnl_primitive_create(&e->prim, e->pd);
        if (s == dnnl_success) publish(e);
        if (s != dnnl_success) {
            snprintf(last_error, sizeof last_error, "oneDNN matmul setup failed: %s", dnnl_status2str(s));
            pthread_mutex_unlock(&lock);
            return (int)s;
        }
    }
    dnnl_memory_t ma = NULL, mb = NULL, mc = NULL;
    if (!(rc = wrap(&ma, e->md[0], a)) && !(rc = wrap(&mb, e->md[1], b)) && !(rc = wrap(&mc, e->md[2], c))) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
        rc = execute(e->prim, 3, args);
    }
    if (ma) dnnl_memory_destroy(ma);
    if (mb) dnnl_memory_destroy(mb);
    if (mc) dnnl_memory_destroy(mc);
    pthread_mutex_unlock(&lock);
    return rc;
}
