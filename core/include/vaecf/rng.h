// SPDX-License-Identifier: MIT
// Small deterministic random number generator with its own distributions, so that a seed
// gives the same numbers with every compiler and standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace vaecf::core {

__extension__ typedef unsigned __int128 UInt128;

inline std::uint64_t splitMix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Mixes several values into one seed (for per-epoch, per-batch, per-row streams).
inline std::uint64_t mixSeed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0,
                             std::uint64_t d = 0) {
    std::uint64_t s = a;
    std::uint64_t h = splitMix64(s);
    s = h ^ b;
    h = splitMix64(s);
    s = h ^ c;
    h = splitMix64(s);
    s = h ^ d;
    return splitMix64(s);
}

// xoshiro256** (Blackman & Vigna).
class Rng {
public:
    explicit Rng(std::uint64_t seed = 0) { reseed(seed); }
    void reseed(std::uint64_t seed) {
        std::uint64_t s = seed;
        for (auto& w : m_s) w = splitMix64(s);
        m_haveSpare = false;
    }
    std::uint64_t next() {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform in [0, 1) as float (24 bits).
    float uniformFloat() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
    // Uniform integer in [0, n), unbiased (Lemire).
    std::uint64_t below(std::uint64_t n) {
        UInt128 m = static_cast<UInt128>(next()) * n;
        auto low = static_cast<std::uint64_t>(m);
        if (low < n) {
            const std::uint64_t t = (0 - n) % n;
            while (low < t) {
                m = static_cast<UInt128>(next()) * n;
                low = static_cast<std::uint64_t>(m);
            }
        }
        return static_cast<std::uint64_t>(m >> 64);
    }
    // Standard normal (Box-Muller, both values used).
    double normal() {
        if (m_haveSpare) {
            m_haveSpare = false;
            return m_spare;
        }
        double u1 = uniform();
        while (u1 <= 0.0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double a = 2.0 * std::numbers::pi * u2;
        m_spare = r * std::sin(a);
        m_haveSpare = true;
        return r * std::cos(a);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t m_s[4]{};
    double m_spare = 0;
    bool m_haveSpare = false;
};

}  // namespace vaecf::core
