// SPDX-License-Identifier: MIT
// Kernels for any x86-64 (baseline SSE2) or other CPU: compiled with the default flags.
#define VAECF_KNS generic
#define VAECF_KNAME "generic"
#define VAECF_KLEVEL 0
#include "kernels/isa_kernels.inl"
