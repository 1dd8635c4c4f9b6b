// Public entry points: pick the best implementation for this CPU once, then forward.

#include "CChecksums.h"
#include "crc_internal.h"

#include <pthread.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int level = SIMFRA_CRC_PORTABLE;

static void init(void) {
    // The tables are needed even on accelerated CPUs: inputs under 16 bytes are cheaper
    // through a table than through a SIMD setup and reduction.
    simfra_crc_portable_init();
#if defined(__x86_64__)
    level = simfra_crc_x86_level();
#endif
}

// pthread_once publishes the tables and `level` to every caller (acquire semantics), and
// its fast path is a single load once initialized.
static inline int current_level(void) {
    pthread_once(&init_once, init);
    return level;
}

uint32_t simfra_crc32_update(uint32_t state, const void *buf, size_t len) {
    int l = current_level();
#if defined(__x86_64__)
    return simfra_crc32_x86(state, buf, len, l);
#else
    (void)l;
    return simfra_crc32_portable(state, buf, len);
#endif
}

uint32_t simfra_crc32c_update(uint32_t state, const void *buf, size_t len) {
    int l = current_level();
#if defined(__x86_64__)
    return simfra_crc32c_x86(state, buf, len, l);
#else
    (void)l;
    return simfra_crc32c_portable(state, buf, len);
#endif
}

uint64_t simfra_crc64nvme_update(uint64_t state, const void *buf, size_t len) {
    int l = current_level();
#if defined(__x86_64__)
    return simfra_crc64nvme_x86(state, buf, len, l);
#else
    (void)l;
    return simfra_crc64nvme_portable(state, buf, len);
#endif
}

const char *simfra_crc_implementation(void) {
    switch (current_level()) {
    case SIMFRA_CRC_AVX512: return "avx512-vpclmulqdq";
    case SIMFRA_CRC_CLMUL: return "sse4.2-pclmulqdq";
    case SIMFRA_CRC_SSE42: return "sse4.2";
    default: return "portable";
    }
}
