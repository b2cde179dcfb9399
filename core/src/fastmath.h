// SPDX-License-Identifier: MIT
// exp() for float, written so that the compiler vectorizes loops that call it (no library
// call, no branches). Cephes' expf polynomial: relative error below 2 ulp on [-87, 88].
#pragma once

#include <bit>
#include <cstdint>

namespace vaecf::core {

inline float fastExp(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (no SSE4.1 needed).
    const float kMagic = 12582912.0f;
    const float n = (x * 1.44269504088896341f + kMagic) - kMagic;
    const float r = (x - n * 0.693359375f) - n * (-2.12194440e-4f);
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * r * r + r + 1.0f;
    const std::int32_t e = (static_cast<std::int32_t>(n) + 127) << 23;
    return y * std::bit_cast<float>(e);
}

}  // namespace vaecf::core
