// x86-64 CRC kernels: carry-less multiply folding (PCLMULQDQ, or VPCLMULQDQ on AVX-512
// CPUs) for all three CRCs, plus the SSE4.2 crc32 instruction for short CRC32C inputs.
//
// Each function carries its own target attribute, so the file builds with default flags
// and only runs instructions that simfra_crc_x86_level() found on the CPU.
//
// ## Folding
//
// A reflected CRC of width w (32 or 64) over message M is M(x) * x^w mod P(x), where
// the first message bit is the highest power of x and the initial state is XORed into
// the first w bits. Loaded little-endian into a 128-bit register, bit k of a 16-byte
// block is the coefficient of x^(127-k), so the low qword holds the high half H and the
// high qword the low half L of the block's polynomial H*x^64 + L.
//
// Moving a block d bits later in the message multiplies it by x^d, and modulo P
//     (H*x^64 + L) * x^d  ==  H * (x^(d+64) mod P)  +  L * (x^d mod P)
// which is two 64x64 carry-less products of at most 127 bits: a 128-bit register again.
// XORing that into the block d bits later keeps the running value congruent to the
// message, so the whole buffer collapses into one 128-bit value without ever dividing.
//
// In the reflected domain, clmul(a, b) of two 64-bit operands (bit j = x^(63-j)) read as
// a 128-bit register is a*b*x: one power of x too many. A w-bit constant k is stored as
// k * x^(64-w) (it lands in the low w bits of the operand), which adds 64 - w more
// powers. Both are taken out of the exponent, hence the fold constant for distance d:
//     K(d) = bitreverse64( (x^(d - 1 - (64 - w)) mod P) * x^(64 - w) )
// and the low qword (H) is multiplied by K(d + 64), the high qword (L) by K(d).
//
// ## Final reduction
//
// The folded value R (128 bits) must become R * x^w mod P:
//   1. V = H * (x^(64+w) mod P) + L * x^w == R * x^w, of degree < 64 + w. The register
//      computed is t = V * x^(64-w) = clmul(H, K(128)) XOR (L moved to the low qword):
//      K(128) = bitreverse64((x^(63+w) mod P) * x^(64-w)) is exactly that multiplier.
//   2. Barrett: with mu = floor(x^(64+w) / P) = x^64 + mu' (65 bits) and A = V / x^w
//      (t's low qword), the quotient V / P is q = A + floor(A * mu' / x^64), and
//      V mod P = (V + q * P') mod x^w, P = x^w + P'. The "+ 1 power of x" of clmul
//      shows up as the shifts by 1 and 63 below.
//   MU = bitreverse64(mu'), POLY = bitreverse64(P' * x^(64-w)) (the usual reflected
//   polynomial).
//
// The constants were computed with this Python (pmod / pdiv = GF(2) polynomial remainder
// and quotient; P includes its x^w term), and checked against a bit-by-bit CRC by a model
// of this exact algorithm:
//     K  = lambda d: rev64(pmod(1 << (d - 1 - (64 - w)), P) << (64 - w))
//     MU = rev64(pdiv(1 << (64 + w), P) ^ (1 << 64))
//     POLY = rev64((P ^ (1 << w)) << (64 - w))

#include "crc_internal.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#define TARGET_SSE42 __attribute__((target("sse4.2")))
#define TARGET_CLMUL __attribute__((target("pclmul,sse4.2")))
#define TARGET_AVX512 __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))
// Forced so that unoptimized builds (SwiftPM debug uses -O0) do not pay a call per fold.
#define ALWAYS_INLINE static inline __attribute__((always_inline))

// Length thresholds, measured on a Sapphire Rapids class Xeon. The 512-bit loop already
// wins at its minimum of one 256-byte block; CRC32C is faster through the latency-bound
// crc32 instruction than through fold set-up and reduction up to about 100 bytes.
#define AVX512_MIN_LEN 256
#define CRC32C_CLMUL_MIN_LEN 128

// Each pair is {K(d + 64), K(d)}: low qword multiplies H, high qword multiplies L.
struct clmul_consts {
    uint64_t k2048[2];   // 512-bit loop: 4 registers, each folded 256 bytes ahead
    uint64_t k1536[2];   // k1536, k1024, k512: collapse those 4 registers into one
    uint64_t k1024[2];
    uint64_t k512[2];    // 128-bit loop: 4 lanes, each folded 64 bytes ahead
    uint64_t lane[4][2]; // d = 384, 256, 128, then zero: collapse 4 x 128-bit lanes
    uint64_t mu, poly;   // Barrett reduction
};

static const struct clmul_consts crc32_k = {
    .k2048 = {0x00000000ce3371cb, 0x00000000e95c1271},
    .k1536 = {0x00000000596c8d81, 0x00000000f5e48c85},
    .k1024 = {0x0000000033fff533, 0x00000000910eeec1},
    .k512 = {0x000000008f352d95, 0x000000001d9513d7},
    .lane = {{0x000000003db1ecdc, 0x00000000af449247},
             {0x00000000f1da05aa, 0x0000000081256527},
             {0x00000000ae689191, 0x00000000ccaa009e},
             {0, 0}},
    .mu = 0x5a72d812fb808b20,
    .poly = 0x00000000edb88320,
};

static const struct clmul_consts crc32c_k = {
    .k2048 = {0x00000000dcb17aa4, 0x00000000b9e02b86},
    .k1536 = {0x00000000a87ab8a8, 0x00000000ab7aff2a},
    .k1024 = {0x000000006992cea2, 0x000000000d3b6092},
    .k512 = {0x00000000740eef02, 0x000000009e4addf8},
    .lane = {{0x000000001c291d04, 0x00000000ddc0152b},
             {0x000000003da6d0cb, 0x00000000ba4fc28e},
             {0x00000000f20c0dfe, 0x00000000493c7d27},
             {0, 0}},
    .mu = 0xa434f61c6f5389f8,
    .poly = 0x0000000082f63b78,
};

static const struct clmul_consts crc64nvme_k = {
    .k2048 = {0x37ccd3e14069cabc, 0xa043808c0f782663},
    .k1536 = {0x758ee09da263e275, 0x6d2d13de8038b4ca},
    .k1024 = {0xa1ca681e733f9c40, 0x5f852fb61e8d92dc},
    .k512 = {0x0c32cdb31e18a84a, 0x62242240ace5045a},
    .lane = {{0xbdd7ac0ee1a4a0f0, 0xa3ffdc1fe8e82a8b},
             {0xb0bc2e589204f500, 0xe1e0bb9d45d7a44c},
             {0xeadc41fd2ba3d420, 0x21e9761e252621ac},
             {0, 0}},
    .mu = 0x13f67d194d77cfbb,
    .poly = 0x9a6c9329ac4bc9b5,
};

// ---- CPU detection ----------------------------------------------------------------
//
// Raw CPUID rather than __builtin_cpu_supports: the latter needs the compiler runtime's
// __cpu_model / __cpu_features2 at link time (whose availability differs between libgcc
// and compiler-rt versions), and AVX-512 also needs the OS to save the zmm state (XCR0).

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int simfra_crc_x86_level(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_2)) return SIMFRA_CRC_PORTABLE;
    if (!(c & bit_PCLMUL)) return SIMFRA_CRC_SSE42;
    // XCR0 bits 1, 2, 5, 6, 7: SSE, AVX, opmask, ZMM0-15 upper halves, ZMM16-31.
    int os_zmm = (c & bit_OSXSAVE) && (xgetbv0() & 0xE6) == 0xE6;
    if (os_zmm && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F) && (c & bit_VPCLMULQDQ))
        return SIMFRA_CRC_AVX512;
    return SIMFRA_CRC_CLMUL;
}

// ---- 128-bit folding ----------------------------------------------------------------

ALWAYS_INLINE TARGET_CLMUL __m128i load128(const uint8_t *p) {
    return _mm_loadu_si128((const __m128i *)p);
}

// x moved d bits later (k = {K(d + 64), K(d)}), XORed into `next`.
ALWAYS_INLINE TARGET_CLMUL __m128i fold128(__m128i x, __m128i k, __m128i next) {
    __m128i h = _mm_clmulepi64_si128(x, k, 0x00);  // H * K(d + 64)
    __m128i l = _mm_clmulepi64_si128(x, k, 0x11);  // L * K(d)
    return _mm_xor_si128(_mm_xor_si128(h, l), next);
}

// For the partial last block: shuffle masks that move a register's bytes by 0..15
// places, zero-filling (pshufb zeroes a byte whose mask has the top bit set).
static const uint8_t shift_masks[48] = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};

// Folds the rest of the message into x (which stands for everything before p) and
// reduces to the raw CRC state. Requires at least 16 bytes to precede p in the buffer.
static TARGET_CLMUL uint64_t clmul_finish(__m128i x, const uint8_t *p, size_t n, const struct clmul_consts *c) {
    const __m128i k128 = _mm_loadu_si128((const __m128i *)c->lane[2]);

    if (n >= 64) {
        // One dependent fold per block would be bound by multiply latency; four
        // independent lanes, each folded 64 bytes ahead, keep the multiplier busy.
        const __m128i k512 = _mm_loadu_si128((const __m128i *)c->k512);
        __m128i x1 = load128(p), x2 = load128(p + 16), x3 = load128(p + 32);
        p += 48;
        n -= 48;
        for (; n >= 64; p += 64, n -= 64) {
            x = fold128(x, k512, load128(p));
            x1 = fold128(x1, k512, load128(p + 16));
            x2 = fold128(x2, k512, load128(p + 32));
            x3 = fold128(x3, k512, load128(p + 48));
        }
        // Folding the lanes in parallel (each by its own distance) is shorter than a chain.
        __m128i a = fold128(x, _mm_loadu_si128((const __m128i *)c->lane[0]), x3);
        __m128i b = fold128(x1, _mm_loadu_si128((const __m128i *)c->lane[1]), _mm_setzero_si128());
        x = fold128(x2, k128, _mm_xor_si128(a, b));
    }

    for (; n >= 16; p += 16, n -= 16) x = fold128(x, k128, load128(p));

    if (n > 0) {
        // R * x^(8n) + T for the n-byte tail T: split R's bytes into the n that overflow
        // the block (x1, to be folded once more) and the 16 - n that stay, followed by T.
        // T is read with one load ending at the buffer's end (the 16 - n bytes before it
        // are already-consumed data, replaced by R's bytes via the blend).
        __m128i last = load128(p + n - 16);
        __m128i m_over = load128(shift_masks + n);     // byte j <- x[j - 16 + n], else 0
        __m128i m_stay = load128(shift_masks + n + 16); // byte j <- x[j + n], else tail
        __m128i x1 = _mm_shuffle_epi8(x, m_over);
        __m128i x2 = _mm_blendv_epi8(_mm_shuffle_epi8(x, m_stay), last, m_stay);
        x = fold128(x1, k128, x2);
    }

    // Barrett reduction (see the top of the file): t = V * x^(64-w), q = V / P,
    // u = q * P'; the CRC state is the low w bits of t's high qword XOR (u >> 63).
    const __m128i mp = _mm_set_epi64x((long long)c->poly, (long long)c->mu);
    __m128i t = _mm_xor_si128(_mm_clmulepi64_si128(x, k128, 0x10), _mm_srli_si128(x, 8));
    __m128i q = _mm_xor_si128(t, _mm_slli_epi64(_mm_clmulepi64_si128(t, mp, 0x00), 1));
    __m128i u = _mm_clmulepi64_si128(q, mp, 0x10);
    uint64_t t_hi = (uint64_t)_mm_extract_epi64(t, 1);
    uint64_t u_lo = (uint64_t)_mm_cvtsi128_si64(u), u_hi = (uint64_t)_mm_extract_epi64(u, 1);
    return t_hi ^ (u_hi << 1) ^ (u_lo >> 63);  // callers with w = 32 truncate
}

// Requires n >= 16.
static TARGET_CLMUL uint64_t clmul_crc(uint64_t state, const uint8_t *p, size_t n, const struct clmul_consts *c) {
    // The running state is XORed into the first w message bits (the low bits when loaded).
    __m128i x = _mm_xor_si128(load128(p), _mm_cvtsi64_si128((long long)state));
    return clmul_finish(x, p + 16, n - 16, c);
}

// ---- 512-bit folding ----------------------------------------------------------------
//
// Same algebra, four 128-bit blocks per zmm register (lane i = bytes 16i..16i+15).

ALWAYS_INLINE TARGET_AVX512 __m512i fold512(__m512i x, __m512i k, __m512i next) {
    __m512i h = _mm512_clmulepi64_epi128(x, k, 0x00);
    __m512i l = _mm512_clmulepi64_epi128(x, k, 0x11);
    return _mm512_ternarylogic_epi64(h, l, next, 0x96);  // three-way XOR
}

ALWAYS_INLINE TARGET_AVX512 __m512i broadcast_pair(const uint64_t k[2]) {
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)k));
}

// Requires n >= 256.
static TARGET_AVX512 uint64_t vpclmul_crc(uint64_t state, const uint8_t *p, size_t n, const struct clmul_consts *c) {
    __m512i x0 = _mm512_loadu_si512(p);
    x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi64_si128((long long)state)));
    __m512i x1 = _mm512_loadu_si512(p + 64), x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
    p += 256;
    n -= 256;

    const __m512i k2048 = broadcast_pair(c->k2048);
    for (; n >= 256; p += 256, n -= 256) {
        x0 = fold512(x0, k2048, _mm512_loadu_si512(p));
        x1 = fold512(x1, k2048, _mm512_loadu_si512(p + 64));
        x2 = fold512(x2, k2048, _mm512_loadu_si512(p + 128));
        x3 = fold512(x3, k2048, _mm512_loadu_si512(p + 192));
    }

    // 4 registers -> 1 register: lane i of register r moves (3 - r) * 512 bits.
    x3 = fold512(x0, broadcast_pair(c->k1536), x3);
    x3 = fold512(x1, broadcast_pair(c->k1024), x3);
    x3 = fold512(x2, broadcast_pair(c->k512), x3);

    // 4 lanes -> 1 block: lane i moves (3 - i) * 128 bits; lane 3 is multiplied by the
    // zero pair, so it is added back as is.
    __m512i kl = _mm512_loadu_si512(c->lane);
    __m512i y = _mm512_xor_si512(_mm512_clmulepi64_epi128(x3, kl, 0x00), _mm512_clmulepi64_epi128(x3, kl, 0x11));
    __m128i x = _mm_xor_si128(_mm_xor_si128(_mm512_castsi512_si128(y), _mm512_extracti32x4_epi32(y, 1)),
                              _mm_xor_si128(_mm512_extracti32x4_epi32(y, 2), _mm512_extracti32x4_epi32(x3, 3)));

    return clmul_finish(x, p, n, c);
}

ALWAYS_INLINE uint64_t fold_any(uint64_t state, const void *buf, size_t len, int level,
                                const struct clmul_consts *c) {
    if (level >= SIMFRA_CRC_AVX512 && len >= AVX512_MIN_LEN) return vpclmul_crc(state, buf, len, c);
    return clmul_crc(state, buf, len, c);
}

// ---- crc32 instruction (CRC32C only) -------------------------------------------------

// One 8-byte crc32 per 3-cycle latency: fine for short inputs, where it needs no set-up
// or reduction; long ones go through the folding code, which has far more throughput.
static TARGET_SSE42 uint32_t crc32c_sse42(uint32_t state, const uint8_t *p, size_t n) {
    uint64_t crc = state;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        crc = _mm_crc32_u64(crc, v);
    }
    uint32_t crc32 = (uint32_t)crc;
    for (; n > 0; p++, n--) crc32 = _mm_crc32_u8(crc32, *p);
    return crc32;
}

// ---- entry points -------------------------------------------------------------------

uint32_t simfra_crc32_x86(uint32_t state, const void *buf, size_t len, int level) {
    if (level < SIMFRA_CRC_CLMUL || len < 16) return simfra_crc32_portable(state, buf, len);
    return (uint32_t)fold_any(state, buf, len, level, &crc32_k);
}

uint32_t simfra_crc32c_x86(uint32_t state, const void *buf, size_t len, int level) {
    if (level < SIMFRA_CRC_SSE42) return simfra_crc32c_portable(state, buf, len);
    if (level < SIMFRA_CRC_CLMUL || len < CRC32C_CLMUL_MIN_LEN) return crc32c_sse42(state, buf, len);
    return (uint32_t)fold_any(state, buf, len, level, &crc32c_k);
}

uint64_t simfra_crc64nvme_x86(uint64_t state, const void *buf, size_t len, int level) {
    if (level < SIMFRA_CRC_CLMUL || len < 16) return simfra_crc64nvme_portable(state, buf, len);
    return fold_any(state, buf, len, level, &crc64nvme_k);
}

#else

// Keeps the translation unit non-empty (ISO C) on other architectures.
typedef int simfra_crc_x86_unused;

#endif
