#include "gesso_kernels.h"

void gesso_parallel_chunks(int64_t chunks, gesso_chunk_fn fn, void *context) {
    #pragma omp parallel for num_threads(chunks) schedule(static, 1)
    for (int64_t c = 0; c < chunks; c++) fn(context, c);
}
