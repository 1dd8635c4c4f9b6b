// CRC kernels for the S3 flexible checksums (CRC32, CRC32C, CRC64/NVME).
//
// All three are reflected CRCs with init = all ones and xorout = all ones. These
// functions work on the raw running state, exactly like the Swift `CRCChecksum` types:
// start from all ones, feed any number of pieces, and complement at the end.
//
//     uint32_t s = 0xFFFFFFFF;
//     s = simfra_crc32_update(s, part1, len1);
//     s = simfra_crc32_update(s, part2, len2);
//     uint32_t crc = ~s;   // "123456789" -> 0xCBF43926
//
// Any length and alignment is accepted; `buf` may be NULL when `len` is 0. The functions
// are thread-safe and pick a hardware-accelerated implementation at run time when the
// CPU has one (x86-64 PCLMULQDQ / SSE4.2 / AVX-512 VPCLMULQDQ), else a portable table one.

#ifndef SIMFRA_CCHECKSUMS_H
#define SIMFRA_CCHECKSUMS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CRC32 (IEEE 802.3 / zlib), reflected polynomial 0xEDB88320.
uint32_t simfra_crc32_update(uint32_t state, const void *buf, size_t len);

/// CRC32C (Castagnoli), reflected polynomial 0x82F63B78.
uint32_t simfra_crc32c_update(uint32_t state, const void *buf, size_t len);

/// CRC64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5.
uint64_t simfra_crc64nvme_update(uint64_t state, const void *buf, size_t len);

/// Name of the implementation selected for this CPU ("avx512-vpclmulqdq",
/// "sse4.2-pclmulqdq", "sse4.2" or "portable"); for diagnostics and tests.
const char *simfra_crc_implementation(void);

#ifdef __cplusplus
}
#endif

#endif
