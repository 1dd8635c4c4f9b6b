// Portable slice-by-8 CRCs: the fallback on CPUs without carry-less multiply (and on
// non-x86 targets), and the path for inputs too short to be worth a SIMD setup.
//
// Slice-by-8: table[0] is the classic byte-at-a-time table; table[k][b] is the CRC
// contribution of byte b followed by k zero bytes, so eight bytes are folded with eight
// independent lookups instead of a chain of eight dependent ones.

#include "crc_internal.h"

#include <string.h>

static uint32_t crc32_table[8][256];
static uint32_t crc32c_table[8][256];
static uint64_t crc64nvme_table[8][256];

static void build32(uint32_t t[8][256], uint32_t poly) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[0][n] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int n = 0; n < 256; n++) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFF];
}

static void build64(uint64_t t[8][256], uint64_t poly) {
    for (uint64_t n = 0; n < 256; n++) {
        uint64_t c = n;
        for (int i = 0; i < 8; i++) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[0][n] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int n = 0; n < 256; n++) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xFF];
}

// Built once at run time (~20 microseconds) rather than shipped as 48 KB of literals.
void simfra_crc_portable_init(void) {
    build32(crc32_table, 0xEDB88320u);
    build32(crc32c_table, 0x82F63B78u);
    build64(crc64nvme_table, 0x9A6C9329AC4BC9B5ull);
}

// The tables assume the first message byte lands in the low bits of the word.
static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);  // unaligned-safe; compiles to a single load
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

// Slice-by-8 over a reflected CRC of either width: eight table lookups per 8-byte word, then
// bytewise for the tail. One body, instantiated for the 32- and 64-bit state types.
#define SIMFRA_DEFINE_SLICE8(name, type)                                                             \
    static type name(type crc, const uint8_t *p, size_t n, const type t[8][256]) {                 \
        for (; n >= 8; p += 8, n -= 8) {                                                            \
            uint64_t v = load_le64(p) ^ crc;                                                        \
            crc = t[7][v & 0xFF] ^ t[6][(v >> 8) & 0xFF] ^ t[5][(v >> 16) & 0xFF] ^                 \
                  t[4][(v >> 24) & 0xFF] ^ t[3][(v >> 32) & 0xFF] ^ t[2][(v >> 40) & 0xFF] ^        \
                  t[1][(v >> 48) & 0xFF] ^ t[0][v >> 56];                                           \
        }                                                                                           \
        for (; n > 0; p++, n--) crc = (type)((crc >> 8) ^ t[0][(crc ^ *p) & 0xFF]);                \
        return crc;                                                                                 \
    }

SIMFRA_DEFINE_SLICE8(slice8_32, uint32_t)
SIMFRA_DEFINE_SLICE8(slice8_64, uint64_t)

uint32_t simfra_crc32_portable(uint32_t state, const void *buf, size_t len) {
    return slice8_32(state, buf, len, crc32_table);
}

uint32_t simfra_crc32c_portable(uint32_t state, const void *buf, size_t len) {
    return slice8_32(state, buf, len, crc32c_table);
}

uint64_t simfra_crc64nvme_portable(uint64_t state, const void *buf, size_t len) {
    return slice8_64(state, buf, len, crc64nvme_table);
}
