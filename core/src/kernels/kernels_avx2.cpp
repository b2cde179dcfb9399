// SPDX-License-Identifier: MIT
// Kernels for x86-64-v3 (AVX2 + FMA): this file alone is compiled with -mavx2 -mfma (see
// core/CMakeLists.txt) and only ever called after a CPU check.
#include "kernels/isa_kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#define VAECF_KNS avx2
#define VAECF_KNAME "avx2"
#define VAECF_KLEVEL 1
#include "kernels/isa_kernels.inl"
#else
namespace vaecf::core::kernels::avx2 {
const IsaKernels* table() { return nullptr; }
}  // namespace vaecf::core::kernels::avx2
#endif
