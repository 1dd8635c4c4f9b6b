// Private interface between the CChecksums translation units (not part of the module's
// public header). Symbols are hidden so they never leak out of the Swift binary; the
// standalone test harness links the objects directly to force each implementation.

#ifndef SIMFRA_CRC_INTERNAL_H
#define SIMFRA_CRC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define SIMFRA_HIDDEN __attribute__((visibility("hidden")))

// Implementation levels, each a superset of the previous one.
enum {
    SIMFRA_CRC_PORTABLE = 0,  // slice-by-8 tables
    SIMFRA_CRC_SSE42 = 1,     // + SSE4.2 crc32 instruction (CRC32C only)
    SIMFRA_CRC_CLMUL = 2,     // + PCLMULQDQ folding, 4 x 128-bit lanes
    SIMFRA_CRC_AVX512 = 3,    // + VPCLMULQDQ folding, 4 x 512-bit lanes
};

// Portable kernels (crc_portable.c). They read tables built by
// simfra_crc_portable_init(), which must have completed before the first call.
SIMFRA_HIDDEN void simfra_crc_portable_init(void);
SIMFRA_HIDDEN uint32_t simfra_crc32_portable(uint32_t state, const void *buf, size_t len);
SIMFRA_HIDDEN uint32_t simfra_crc32c_portable(uint32_t state, const void *buf, size_t len);
SIMFRA_HIDDEN uint64_t simfra_crc64nvme_portable(uint64_t state, const void *buf, size_t len);

#if defined(__x86_64__)
// x86-64 kernels (crc_x86.c). `level` must not exceed simfra_crc_x86_level(); below what
// a kernel needs they fall back to the portable code (so portable init is required too).
SIMFRA_HIDDEN int simfra_crc_x86_level(void);
SIMFRA_HIDDEN uint32_t simfra_crc32_x86(uint32_t state, const void *buf, size_t len, int level);
SIMFRA_HIDDEN uint32_t simfra_crc32c_x86(uint32_t state, const void *buf, size_t len, int level);
SIMFRA_HIDDEN uint64_t simfra_crc64nvme_x86(uint64_t state, const void *buf, size_t len, int level);
#endif

#endif
