// SPDX-License-Identifier: MIT
#include "numpy_random.h"

#include <bit>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "vaecf/error.h"

namespace vaecf::core {

namespace {
constexpr std::uint32_t kMatrixA = 0x9908b0dfu;
constexpr std::uint32_t kUpperMask = 0x80000000u;
constexpr std::uint32_t kLowerMask = 0x7fffffffu;
constexpr int kShift = 397;
}  // namespace

void Mt19937::seed(std::uint32_t s) {
    m_mt[0] = s;
    for (int i = 1; i < kStateSize; ++i) {
        const std::uint32_t prev = m_mt[static_cast<std::size_t>(i - 1)];
        m_mt[static_cast<std::size_t>(i)] =
            1812433253u * (prev ^ (prev >> 30)) + static_cast<std::uint32_t>(i);
    }
    m_pos = kStateSize;
}

void Mt19937::seedByArray(std::span<const std::uint32_t> key) {
    seed(19650218u);
    const auto n = static_cast<std::size_t>(kStateSize);
    std::size_t i = 1, j = 0;
    const std::size_t len = key.empty() ? 1 : key.size();
    for (std::size_t k = std::max(n, len); k > 0; --k) {
        const std::uint32_t prev = m_mt[i - 1];
        const std::uint32_t word = key.empty() ? 0u : key[j];
        m_mt[i] =
            (m_mt[i] ^ ((prev ^ (prev >> 30)) * 1664525u)) + word + static_cast<std::uint32_t>(j);
        ++i;
        ++j;
        if (i >= n) {
            m_mt[0] = m_mt[n - 1];
            i = 1;
        }
        if (j >= len) j = 0;
    }
    for (std::size_t k = n - 1; k > 0; --k) {
        const std::uint32_t prev = m_mt[i - 1];
        m_mt[i] = (m_mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941u)) - static_cast<std::uint32_t>(i);
        ++i;
        if (i >= n) {
            m_mt[0] = m_mt[n - 1];
            i = 1;
        }
    }
    m_mt[0] = 0x80000000u;
    m_pos = kStateSize;
}

void Mt19937::generate() {
    constexpr int n = kStateSize;
    auto mix = [](std::uint32_t a, std::uint32_t b, std::uint32_t c) {
        const std::uint32_t y = (a & kUpperMask) | (b & kLowerMask);
        return c ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    };
    int k = 0;
    for (; k < n - kShift; ++k) m_mt[k] = mix(m_mt[k], m_mt[k + 1], m_mt[k + kShift]);
    for (; k < n - 1; ++k) m_mt[k] = mix(m_mt[k], m_mt[k + 1], m_mt[k + kShift - n]);
    m_mt[n - 1] = mix(m_mt[n - 1], m_mt[0], m_mt[kShift - 1]);
    m_pos = 0;
}

// ---------------------------------------------------------------------------------------------
// NumPy legacy RandomState

std::uint64_t NumpyRandomState::interval(std::uint64_t max) {
    if (max == 0) return 0;
    std::uint64_t mask = max;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    std::uint64_t value;
    if (max <= 0xffffffffull) {
        while ((value = (nextUint32() & mask)) > max) {
        }
    } else {
        while ((value = (nextUint64() & mask)) > max) {
        }
    }
    return value;
}

double NumpyRandomState::randomSample() {
    const std::int32_t a = static_cast<std::int32_t>(nextUint32() >> 5);
    const std::int32_t b = static_cast<std::int32_t>(nextUint32() >> 6);
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

double NumpyRandomState::standardNormal() {
    if (m_hasGauss) {
        m_hasGauss = false;
        const double g = m_gauss;
        m_gauss = 0;
        return g;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * randomSample() - 1.0;
        x2 = 2.0 * randomSample() - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    m_gauss = f * x1;
    m_hasGauss = true;
    return f * x2;
}

std::vector<std::int64_t> NumpyRandomState::permutation(std::int64_t n) {
    if (n < 0) fail("internal: permutation of a negative count");
    std::vector<std::int64_t> p(static_cast<std::size_t>(n));
    std::iota(p.begin(), p.end(), std::int64_t{0});
    shuffle(std::span<std::int64_t>(p));
    return p;
}

std::vector<std::int64_t> NumpyRandomState::choiceWithoutReplacement(std::int64_t n,
                                                                     std::int64_t size) {
    if (n < 1) fail("internal: a must be greater than 0 unless no samples are taken");
    if (size < 0 || size > n)
        fail("internal: cannot take a larger sample than population when replace=False");
    std::vector<std::int64_t> p = permutation(n);
    p.resize(static_cast<std::size_t>(size));
    return p;
}

// ---------------------------------------------------------------------------------------------
// Python's random module

void PythonRandom::reseed(std::uint64_t seed) {
    // random_seed(): key = the 32-bit words of |seed|, least significant first; at least one.
    std::uint32_t key[2] = {static_cast<std::uint32_t>(seed),
                            static_cast<std::uint32_t>(seed >> 32)};
    m_mt.seedByArray(std::span<const std::uint32_t>(key, (seed >> 32) != 0 ? 2 : 1));
}

std::uint64_t PythonRandom::getrandbits(int k) {
    if (k <= 0) return 0;
    if (k <= 32) return m_mt.next32() >> (32 - k);
    // Words from least to most significant; the last one keeps its top bits.
    const std::uint64_t lo = m_mt.next32();
    const std::uint64_t hi = m_mt.next32() >> (64 - std::min(k, 64));
    return lo | (hi << 32);
}

std::uint64_t PythonRandom::randbelow(std::uint64_t n) {
    const int k = static_cast<int>(std::bit_width(n));
    std::uint64_t r = getrandbits(k);
    while (r >= n) r = getrandbits(k);
    return r;
}

double PythonRandom::random() {
    const std::uint32_t a = m_mt.next32() >> 5;
    const std::uint32_t b = m_mt.next32() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

std::vector<std::int64_t> PythonRandom::sample(std::int64_t n, std::int64_t k) {
    if (k < 0 || k > n) fail("internal: sample larger than population or is negative");
    std::vector<std::int64_t> result(static_cast<std::size_t>(k));
    std::int64_t setsize = 21;  // CPython's estimate of the memory of a small set
    if (k > 5)
        setsize += static_cast<std::int64_t>(
            std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
    if (n <= setsize) {
        std::vector<std::int64_t> pool(static_cast<std::size_t>(n));
        std::iota(pool.begin(), pool.end(), std::int64_t{0});
        for (std::int64_t i = 0; i < k; ++i) {
            const auto j = static_cast<std::size_t>(randbelow(static_cast<std::uint64_t>(n - i)));
            result[static_cast<std::size_t>(i)] = pool[j];
            pool[j] = pool[static_cast<std::size_t>(n - i - 1)];
        }
    } else {
        std::unordered_set<std::int64_t> selected;
        selected.reserve(static_cast<std::size_t>(k) * 2);
        for (std::int64_t i = 0; i < k; ++i) {
            auto j = static_cast<std::int64_t>(randbelow(static_cast<std::uint64_t>(n)));
            while (selected.contains(j))
                j = static_cast<std::int64_t>(randbelow(static_cast<std::uint64_t>(n)));
            selected.insert(j);
            result[static_cast<std::size_t>(i)] = j;
        }
    }
    return result;
}

}  // namespace vaecf::core
