// SPDX-License-Identifier: MIT
// Loading speed: readDataset() and readDataset() + preprocess() on an ML-20M-shaped
// ratings.csv (20,000,263 rows, 517 MB). The file is $VAECF_BENCH_RATINGS when set, otherwise
// /tmp/vaecf-bench/ml20m/ratings.csv, written here on first use (same shape as
// shared/bench/make_ml20m_ratings.py: users sorted, Zipf-like items, half-star ratings).
// Compare with the pandas peer in the same session:
//   /usr/bin/python3 shared/bench/pandas_load.py FILE
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "vaecf/dataset.h"

namespace {

namespace fs = std::filesystem;

void writeMl20mShaped(const fs::path& path) {
    fs::create_directories(path.parent_path());
    const fs::path tmp = path.string() + ".part";
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    constexpr std::int64_t kRows = 20'000'263;
    std::mt19937_64 rng(20);
    // Users: sorted draws from 1..138493.
    std::vector<std::int32_t> users(kRows);
    std::uniform_int_distribution<std::int32_t> userDist(1, 138'493);
    for (auto& u : users) u = userDist(rng);
    std::sort(users.begin(), users.end());
    // Items: 26,744 distinct ids in 1..131262, popularity ~ 1 / (rank + 50).
    std::vector<std::int32_t> ids(131'262);
    std::iota(ids.begin(), ids.end(), 1);
    std::shuffle(ids.begin(), ids.end(), rng);
    ids.resize(26'744);
    std::vector<double> weight(ids.size());
    for (std::size_t k = 0; k < weight.size(); ++k) weight[k] = 1.0 / (double(k) + 50.0);
    std::discrete_distribution<std::size_t> itemDist(weight.begin(), weight.end());
    std::discrete_distribution<int> ratingDist({1, 3, 2, 7, 5, 20, 15, 27, 8, 12});
    std::uniform_int_distribution<std::int64_t> tsDist(789'652'009, 1'427'784'001);
    std::fputs("userId,movieId,rating,timestamp\n", out);
    char line[96];
    for (std::int64_t k = 0; k < kRows; ++k) {
        const int half = ratingDist(rng) + 1;
        const int n = std::snprintf(line, sizeof line, "%d,%d,%d.%d,%lld\n", users[k],
                                    ids[itemDist(rng)], half / 2, half % 2 ? 5 : 0,
                                    static_cast<long long>(tsDist(rng)));
        std::fwrite(line, 1, static_cast<std::size_t>(n), out);
    }
    std::fclose(out);
    fs::rename(tmp, path);
}

const fs::path& ratingsFile() {
    static const fs::path path = [] {
        if (const char* env = std::getenv("VAECF_BENCH_RATINGS")) return fs::path(env);
        const fs::path p = "/tmp/vaecf-bench/ml20m/ratings.csv";
        if (!fs::exists(p)) {
            std::fprintf(stderr, "writing %s (20M rows, once)...\n", p.c_str());
            writeMl20mShaped(p);
        }
        return p;
    }();
    return path;
}

void report(benchmark::State& state, const vaecf::core::Dataset& d) {
    state.counters["users"] = static_cast<double>(d.numUsers());
    state.counters["items"] = static_cast<double>(d.numItems());
    state.counters["interactions"] = static_cast<double>(d.numInteractions());
    const double megabytes = static_cast<double>(fs::file_size(ratingsFile())) / 1e6;
    state.counters["MB/s"] =
        benchmark::Counter(megabytes, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_ReadDataset(benchmark::State& state) {
    vaecf::core::ReadOptions options;
    options.threads = static_cast<int>(state.range(0));
    vaecf::core::Dataset d;
    for (auto _ : state) {
        d = vaecf::core::readDataset(ratingsFile(), options);
        benchmark::DoNotOptimize(d.interactions.indices.data());
    }
    report(state, d);
}

void BM_ReadAndPreprocess(benchmark::State& state) {
    vaecf::core::ReadOptions options;
    options.threads = static_cast<int>(state.range(0));
    vaecf::core::Dataset d;
    for (auto _ : state) {
        const auto raw = vaecf::core::readDataset(ratingsFile(), options);
        d = vaecf::core::preprocess(raw, {});
        benchmark::DoNotOptimize(d.interactions.indices.data());
    }
    report(state, d);
}

// Arg: threads (0 = all).
BENCHMARK(BM_ReadDataset)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()
    ->Iterations(3);
BENCHMARK(BM_ReadAndPreprocess)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
