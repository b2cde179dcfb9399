// SPDX-License-Identifier: MIT
// Bit-exact re-implementations of the two Mersenne Twister generators that Python split
// scripts use, so that a split made here equals the one made there for the same seed:
//   NumpyRandomState  numpy.random.RandomState (the legacy generator; np.random.seed(s)),
//                     with permutation / shuffle / choice(replace=False) / random_sample /
//                     standard_normal / randint-style bounded draws exactly as NumPy draws them.
//   PythonRandom      Python's `random` module (random.seed(s), random.shuffle, random.sample,
//                     random.random, getrandbits), as CPython 3.2 .. 3.13 implement them.
// Both share the MT19937 core; they differ in seeding and in how bounded integers are drawn.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace vaecf::core {

class Mt19937 {
public:
    static constexpr int kStateSize = 624;

    // init_genrand(seed): NumPy's RandomState(int seed).
    void seed(std::uint32_t s);
    // init_by_array(key): Python's random.seed(int) (key = 32-bit words of |seed|, little end
    // first) and NumPy's RandomState(array).
    void seedByArray(std::span<const std::uint32_t> key);
    // genrand_int32().
    std::uint32_t next32() {
        if (m_pos >= kStateSize) generate();
        std::uint32_t y = m_mt[static_cast<std::size_t>(m_pos++)];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

private:
    void generate();
    std::array<std::uint32_t, kStateSize> m_mt{};
    int m_pos = kStateSize;
};

class NumpyRandomState {
public:
    explicit NumpyRandomState(std::uint32_t seed) { reseed(seed); }
    // np.random.seed(seed).
    void reseed(std::uint32_t seed) {
        m_mt.seed(seed);
        m_hasGauss = false;
        m_gauss = 0;
    }

    std::uint32_t nextUint32() { return m_mt.next32(); }
    // Upper half first, as NumPy's mt19937_next64.
    std::uint64_t nextUint64() {
        const std::uint64_t hi = m_mt.next32();
        return (hi << 32) | m_mt.next32();
    }
    // random_interval(max): uniform in [0, max] by masked rejection (legacy bounded draw).
    std::uint64_t interval(std::uint64_t max);
    // random_sample(): uniform double in [0, 1) with 53 bits.
    double randomSample();
    // standard_normal(): the legacy polar method with its cached second value.
    double standardNormal();

    // shuffle(x) on a 1-d array: Fisher-Yates from the end.
    template <typename T>
    void shuffle(std::span<T> x) {
        for (std::size_t i = x.size(); i-- > 1;) {
            const auto j = static_cast<std::size_t>(interval(i));
            std::swap(x[i], x[j]);
        }
    }
    // permutation(n) = shuffle(arange(n)).
    std::vector<std::int64_t> permutation(std::int64_t n);
    // choice(n, size, replace=False) without p = permutation(n)[:size].
    std::vector<std::int64_t> choiceWithoutReplacement(std::int64_t n, std::int64_t size);

private:
    Mt19937 m_mt;
    bool m_hasGauss = false;
    double m_gauss = 0;
};

class PythonRandom {
public:
    explicit PythonRandom(std::uint64_t seed) { reseed(seed); }
    // random.seed(seed) for a non-negative int.
    void reseed(std::uint64_t seed);

    // random.getrandbits(k), 0 <= k <= 64.
    std::uint64_t getrandbits(int k);
    // random._randbelow(n) (getrandbits(n.bit_length()) with rejection), n >= 1.
    std::uint64_t randbelow(std::uint64_t n);
    // random.random().
    double random();

    // random.shuffle(x).
    template <typename T>
    void shuffle(std::span<T> x) {
        for (std::size_t i = x.size(); i-- > 1;) {
            const auto j = static_cast<std::size_t>(randbelow(i + 1));
            std::swap(x[i], x[j]);
        }
    }
    // random.sample(range(n), k), in the order Python returns it.
    std::vector<std::int64_t> sample(std::int64_t n, std::int64_t k);

private:
    Mt19937 m_mt;
};

}  // namespace vaecf::core
