/*
 * Headers NVRTC is given in memory: NVRTC has no C library, and the genc
 * headers a generated kernel includes (src/random/laws.h and what it needs)
 * include stdint.h, stdbool.h, stddef.h, string.h and math.h, and Random123's
 * philox.h, whose C++ half (algorithm, iostream, ...) NVRTC cannot compile.
 * The shims declare exactly what those headers use. The Philox here is
 * Random123's Philox4x32-10 (same constants, rounds and key schedule), so a
 * compiled sampler draws the numbers the backend's kernels draw; the executor's
 * tests compare them bit for bit.
 */
#include "backend/cuda/cuda_rtc_shims.h"

static const char sh_stdint[] =
    "#pragma once\n"
    "typedef signed char int8_t; typedef unsigned char uint8_t;\n"
    "typedef short int16_t; typedef unsigned short uint16_t;\n"
    "typedef int int32_t; typedef unsigned int uint32_t;\n"
    "typedef long int64_t; typedef unsigned long uint64_t;\n"
    "typedef long intptr_t; typedef unsigned long uintptr_t;\n"
    "#define INT8_MAX 127\n#define UINT8_MAX 255\n"
    "#define INT32_MAX 2147483647\n#define INT32_MIN (-INT32_MAX - 1)\n"
    "#define UINT32_MAX 4294967295u\n"
    "#define INT64_MAX 9223372036854775807L\n#define INT64_MIN (-INT64_MAX - 1)\n"
    "#define UINT64_MAX 18446744073709551615UL\n"
    "#define INT64_C(c) c##L\n#define UINT64_C(c) c##UL\n"
    "#define UINT32_C(c) c##U\n#define INT32_C(c) c\n";

static const char sh_empty[] = "#pragma once\n";

static const char sh_stddef[] = "#pragma once\n"
                                "typedef unsigned long size_t;\n"
                                "typedef long ptrdiff_t;\n"
                                "#ifndef NULL\n#define NULL 0\n#endif\n"
                                "#define offsetof(t, m) __builtin_offsetof(t, m)\n";

static const char sh_math[] = "#pragma once\n"
                              "#define INFINITY __int_as_float(0x7f800000)\n"
                              "#define HUGE_VAL __longlong_as_double(0x7ff0000000000000LL)\n"
                              "#define NAN __int_as_float(0x7fffffff)\n"
                              "#define M_PI 3.14159265358979323846\n"
                              "#define M_LN2 0.69314718055994530942\n"
                              "#define M_SQRT2 1.41421356237309504880\n";

static const char sh_float[] = "#pragma once\n"
                               "#define DBL_MAX 1.79769313486231570815e+308\n"
                               "#define DBL_MIN 2.22507385850720138309e-308\n"
                               "#define DBL_EPSILON 2.22044604925031308085e-16\n"
                               "#define FLT_MAX 3.40282346638528859812e+38F\n"
                               "#define FLT_MIN 1.17549435082228750797e-38F\n"
                               "#define FLT_EPSILON 1.1920928955078125e-07F\n";

static const char sh_limits[] = "#pragma once\n"
                                "#define INT_MAX 2147483647\n#define INT_MIN (-INT_MAX - 1)\n"
                                "#define UINT_MAX 4294967295u\n"
                                "#define LONG_MAX 9223372036854775807L\n"
                                "#define CHAR_BIT 8\n";

static const char sh_philox[] =
    "#pragma once\n"
    "#include <stdint.h>\n"
    "typedef struct { uint32_t v[2]; } philox4x32_key_t;\n"
    "typedef struct { uint32_t v[4]; } philox4x32_ctr_t;\n"
    "__device__ __forceinline__ philox4x32_ctr_t genc__philox_round(philox4x32_ctr_t c,\n"
    "                                                               philox4x32_key_t k) {\n"
    "  uint32_t hi0 = __umulhi(0xD2511F53u, c.v[0]), lo0 = 0xD2511F53u * c.v[0];\n"
    "  uint32_t hi1 = __umulhi(0xCD9E8D57u, c.v[2]), lo1 = 0xCD9E8D57u * c.v[2];\n"
    "  philox4x32_ctr_t o = {{hi1 ^ c.v[1] ^ k.v[0], lo1, hi0 ^ c.v[3] ^ k.v[1], lo0}};\n"
    "  return o;\n"
    "}\n"
    "__device__ __forceinline__ philox4x32_ctr_t philox4x32(philox4x32_ctr_t c,\n"
    "                                                       philox4x32_key_t k) {\n"
    "  c = genc__philox_round(c, k);\n"
    "#pragma unroll\n"
    "  for (int r = 1; r < 10; r++) {\n"
    "    k.v[0] += 0x9E3779B9u; k.v[1] += 0xBB67AE85u;\n"
    "    c = genc__philox_round(c, k);\n"
    "  }\n"
    "  return c;\n"
    "}\n";

const char *const genc_cu_shim_names[GENC_CU_NSHIMS] = {
    "stdint.h", "stdbool.h", "stddef.h", "string.h",          "math.h", "float.h", "limits.h",
    "stdlib.h", "stdio.h",   "assert.h", "Random123/philox.h"};
const char *const genc_cu_shim_srcs[GENC_CU_NSHIMS] = {sh_stdint, sh_empty, sh_stddef, sh_empty,
                                                       sh_math,   sh_float, sh_limits, sh_empty,
                                                       sh_empty,  sh_empty, sh_philox};
