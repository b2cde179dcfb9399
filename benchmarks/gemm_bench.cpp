// SPDX-License-Identifier: MIT
// GEMM and Adam throughput of the dispatched kernels against Eigen (built with this build's
// flags) on the Mult-VAE training shapes. GFLOP/s is the "GFLOPS" counter.
//   vaecf_bench_gemm --benchmark_filter=Ours   (VAECF_ISA=generic|avx2|avx512 to force)
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include <time.h>

#include <Eigen/Core>
#include <benchmark/benchmark.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels/isa_kernels.h"
#include "kernels/kernels.h"

namespace {

namespace k = vaecf::core::kernels;
using i64 = std::int64_t;

struct Shape {
    const char* name;
    bool transA, transB;
    i64 M, N, K;
};

// B = 500 users per batch, H = 600 hidden, I = 20108 items, latent 200.
const Shape kShapes[] = {
    {"a_fwd_logits_500x20108x600", false, false, 500, 20108, 600},
    {"b_dW_600x20108x500_tA", true, false, 600, 20108, 500},
    {"c_dA_500x600x20108_tB", false, true, 500, 600, 20108},
    {"s_fwd_500x200x600", false, false, 500, 200, 600},
    {"s_dW_600x200x500_tA", true, false, 600, 200, 500},
    {"s_dA_500x600x200_tB", false, true, 500, 600, 200},
    {"s_enc_500x600x20108_sparse_as_dense", false, false, 500, 600, 20108},
    {"hot_in_cache_120x256x320", false, false, 120, 256, 320},
};

struct Operands {
    std::vector<float> A, B, C;
    i64 lda, ldb, ldc;
};

Operands makeOperands(const Shape& s) {
    Operands o;
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    const i64 aRows = s.transA ? s.K : s.M, aCols = s.transA ? s.M : s.K;
    const i64 bRows = s.transB ? s.N : s.K, bCols = s.transB ? s.K : s.N;
    o.A.resize(std::size_t(aRows * aCols));
    o.B.resize(std::size_t(bRows * bCols));
    o.C.assign(std::size_t(s.M * s.N), 0.0f);
    for (auto& x : o.A) x = d(rng);
    for (auto& x : o.B) x = d(rng);
    o.lda = aCols;
    o.ldb = bCols;
    o.ldc = s.N;
    return o;
}

// CPU time of the whole process (all threads): on a shared, busy machine the wall-clock
// rate depends on the other load, GFLOP per CPU-second much less so.
double processCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

void setFlops(benchmark::State& state, const Shape& s, double cpuSeconds) {
    const double gflop = 2e-9 * double(s.M) * double(s.N) * double(s.K);
    state.counters["GFLOPS"] =
        benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GFLOP_per_cpu_s"] = gflop * double(state.iterations()) / cpuSeconds;
    state.SetLabel(s.name);
}

void ours(benchmark::State& state) {
    const Shape& s = kShapes[state.range(0)];
    const int threads = int(state.range(1));
    Operands o = makeOperands(s);
    tbb::task_arena arena(threads);
    const double cpu0 = processCpuSeconds();
    for (auto _ : state) {
        arena.execute([&] {
            k::sgemm(s.transA, s.transB, s.M, s.N, s.K, 1.0f, o.A.data(), o.lda, o.B.data(),
                     o.ldb, 0.0f, o.C.data(), o.ldc);
        });
        benchmark::DoNotOptimize(o.C.data());
        benchmark::ClobberMemory();
    }
    setFlops(state, s, processCpuSeconds() - cpu0);
    state.counters["isa_avx2"] = k::activeIsa() == k::Isa::Avx2;
    state.counters["isa_avx512"] = k::activeIsa() == k::Isa::Avx512;
}

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using CMap = Eigen::Map<const RowMat>;
using MMap = Eigen::Map<RowMat>;

// Eigen's own threading is off in this project, so split C among the threads by hand: by
// columns for wide C, by rows otherwise.
void eigen(benchmark::State& state) {
    const Shape& s = kShapes[state.range(0)];
    const int threads = int(state.range(1));
    Operands o = makeOperands(s);
    const i64 aRows = s.transA ? s.K : s.M, aCols = s.transA ? s.M : s.K;
    const i64 bRows = s.transB ? s.N : s.K, bCols = s.transB ? s.K : s.N;
    CMap A(o.A.data(), aRows, aCols);
    CMap B(o.B.data(), bRows, bCols);
    MMap C(o.C.data(), s.M, s.N);
    const bool byCols = s.N >= s.M;
    const i64 len = byCols ? s.N : s.M;
    const i64 parts = threads == 1 ? 1 : 4 * threads;
    tbb::task_arena arena(threads);
    const double cpu0 = processCpuSeconds();
    auto part = [&](i64 p) {
        const i64 b = len * p / parts, e = len * (p + 1) / parts;
        if (byCols) {
            if (!s.transA && !s.transB)
                C.middleCols(b, e - b).noalias() = A * B.middleCols(b, e - b);
            else if (s.transA && !s.transB)
                C.middleCols(b, e - b).noalias() = A.transpose() * B.middleCols(b, e - b);
            else if (!s.transA && s.transB)
                C.middleCols(b, e - b).noalias() = A * B.middleRows(b, e - b).transpose();
            else
                C.middleCols(b, e - b).noalias() =
                    A.transpose() * B.middleRows(b, e - b).transpose();
        } else {
            if (!s.transA && !s.transB)
                C.middleRows(b, e - b).noalias() = A.middleRows(b, e - b) * B;
            else if (s.transA && !s.transB)
                C.middleRows(b, e - b).noalias() = A.middleCols(b, e - b).transpose() * B;
            else if (!s.transA && s.transB)
                C.middleRows(b, e - b).noalias() = A.middleRows(b, e - b) * B.transpose();
            else
                C.middleRows(b, e - b).noalias() =
                    A.middleCols(b, e - b).transpose() * B.transpose();
        }
    };
    for (auto _ : state) {
        arena.execute([&] { tbb::parallel_for(i64{0}, parts, part); });
        benchmark::DoNotOptimize(o.C.data());
        benchmark::ClobberMemory();
    }
    setFlops(state, s, processCpuSeconds() - cpu0);
}

#if defined(__x86_64__)
// Peak FMA throughput of one core right now (12 independent chains of 8-wide FMAs), to put
// the GEMM rates in proportion: the clock of this machine boosts above its nominal 2.45 GHz.
__attribute__((target("avx2,fma"))) void peakFma(benchmark::State& state) {
    const i64 iters = 1 << 20;
    for (auto _ : state) {
        const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
        // Distinct starting values, or the compiler merges the identical chains.
        __m256 a0 = _mm256_set1_ps(1.0f), a1 = _mm256_set1_ps(1.1f), a2 = _mm256_set1_ps(1.2f),
               a3 = _mm256_set1_ps(1.3f), a4 = _mm256_set1_ps(1.4f), a5 = _mm256_set1_ps(1.5f),
               a6 = _mm256_set1_ps(1.6f), a7 = _mm256_set1_ps(1.7f), a8 = _mm256_set1_ps(1.8f),
               a9 = _mm256_set1_ps(1.9f), a10 = _mm256_set1_ps(2.0f), a11 = _mm256_set1_ps(2.1f);
        for (i64 i = 0; i < iters; ++i) {
            a0 = _mm256_fmadd_ps(a0, x, y);
            a1 = _mm256_fmadd_ps(a1, x, y);
            a2 = _mm256_fmadd_ps(a2, x, y);
            a3 = _mm256_fmadd_ps(a3, x, y);
            a4 = _mm256_fmadd_ps(a4, x, y);
            a5 = _mm256_fmadd_ps(a5, x, y);
            a6 = _mm256_fmadd_ps(a6, x, y);
            a7 = _mm256_fmadd_ps(a7, x, y);
            a8 = _mm256_fmadd_ps(a8, x, y);
            a9 = _mm256_fmadd_ps(a9, x, y);
            a10 = _mm256_fmadd_ps(a10, x, y);
            a11 = _mm256_fmadd_ps(a11, x, y);
        }
        a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
        a0 = _mm256_add_ps(a0, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
        benchmark::DoNotOptimize(a0);
    }
    state.counters["GFLOPS"] = benchmark::Counter(2e-9 * 8 * 12 * double(iters),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(peakFma)->Name("PeakFmaOneCore")->Unit(benchmark::kMillisecond);
#endif

// Packing alone, one thread: op(B) = W^T of the dA = G W^T product (600 x 20108 stored),
// and op(A) = G, i.e. the two transposing packs. Reports packed floats per second.
void packing(benchmark::State& state) {
    const bool packA = state.range(0) != 0;
    const k::IsaKernels* t = k::Isa::Avx512 == k::activeIsa()   ? k::avx512::table()
                             : k::Isa::Avx2 == k::activeIsa() ? k::avx2::table()
                                                              : k::generic::table();
    const i64 rows = packA ? 500 : 600, K = 20108, kc = t->kcMax;
    std::vector<float> src(std::size_t(rows * K), 1.0f);
    std::vector<float> dst(std::size_t((rows + 64) * kc));
    for (auto _ : state) {
        for (i64 k0 = 0; k0 < K; k0 += kc) {
            const i64 len = std::min(kc, K - k0);
            if (packA)
                t->packA(false, src.data(), K, 0, rows, k0, len, dst.data());
            else
                t->packB(true, src.data(), K, k0, len, 0, rows, dst.data());
        }
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations() * rows * K);
}
BENCHMARK(packing)->Name("PackTransposing")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void adam(benchmark::State& state) {
    const i64 n = state.range(0);
    const int threads = int(state.range(1));
    std::vector<float> w(std::size_t(n), 0.5f), m(std::size_t(n), 0.0f), v(std::size_t(n), 0.0f),
        g(std::size_t(n), 0.01f);
    tbb::task_arena arena(threads);
    std::int64_t step = 0;
    for (auto _ : state) {
        ++step;
        arena.execute([&] {
            k::adamStep(w.data(), m.data(), v.data(), g.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f,
                        0.0f, step);
        });
        benchmark::ClobberMemory();
    }
    // Bytes moved: w, m, v read and written, g read.
    state.SetBytesProcessed(state.iterations() * n * 7 * std::int64_t(sizeof(float)));
}

void shapeArgs(benchmark::internal::Benchmark* b) {
    for (int s = 0; s < int(std::size(kShapes)); ++s)
        for (int t : {1, 2}) b->Args({s, t});
}

}  // namespace

BENCHMARK(ours)->Name("Ours")->Apply(shapeArgs)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(eigen)->Name("Eigen")->Apply(shapeArgs)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(adam)
    ->Name("Adam")
    ->Args({600 * 20108, 1})
    ->Args({600 * 20108, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
