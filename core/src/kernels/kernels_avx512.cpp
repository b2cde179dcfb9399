// SPDX-License-Identifier: MIT
// Kernels for x86-64-v4 (AVX-512 F/BW/DQ/VL): this file alone is compiled with -mavx512*
// (see core/CMakeLists.txt) and only ever called after a CPU check.
#include "kernels/isa_kernels.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && \
    defined(__AVX512VL__)
#define VAECF_KNS avx512
#define VAECF_KNAME "avx512"
#define VAECF_KLEVEL 2
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 warns inside its own _mm512_undefined_ps() (a known false positive).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "kernels/isa_kernels.inl"
#else
namespace vaecf::core::kernels::avx512 {
const IsaKernels* table() { return nullptr; }
}  // namespace vaecf::core::kernels::avx512
#endif
