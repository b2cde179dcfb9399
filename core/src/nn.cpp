// SPDX-License-Identifier: MIT
#include "nn.h"

#include <algorithm>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "kernels/kernels.h"

namespace vaecf::core::nn {

void Dense::allocate(std::int64_t fanIn, std::int64_t fanOut) {
    in = fanIn;
    out = fanOut;
    const auto n = static_cast<std::size_t>(in * out);
    W.assign(n, 0.0f);
    gW.assign(n, 0.0f);
    mW.assign(n, 0.0f);
    vW.assign(n, 0.0f);
    b.assign(static_cast<std::size_t>(out), 0.0f);
    gb = mb = vb = b;
}

void Dense::initXavier(Rng& rng) {
    const double limit = std::sqrt(6.0 / static_cast<double>(in + out));
    for (auto& w : W) w = static_cast<float>((rng.uniform() * 2.0 - 1.0) * limit);
    for (auto& x : b) {
        double v = rng.normal();
        while (std::abs(v) > 2.0) v = rng.normal();
        x = static_cast<float>(0.001 * v);
    }
}

void Adam::ensure(std::int64_t upTo) const {
    while (static_cast<std::int64_t>(m_stepSize.size()) < upTo) {
        float a, b;
        kernels::adamConstants(lr, beta1, beta2, static_cast<std::int64_t>(m_stepSize.size()) + 1,
                               &a, &b);
        m_stepSize.push_back(a);
        m_invSqrtBc2.push_back(b);
    }
}

void Adam::stepBias(Dense& layer, std::int64_t t) const {
    kernels::adamStep(layer.b.data(), layer.mb.data(), layer.vb.data(), layer.gb.data(),
                      static_cast<std::int64_t>(layer.b.size()), lr, beta1, beta2, eps, 0.0f, t);
}

void Adam::catchUp(Dense& layer, const std::vector<std::int32_t>* rows, std::int64_t t,
                   float weightDecay) const {
    ensure(t);
    const std::int64_t n = rows ? static_cast<std::int64_t>(rows->size()) : layer.in;
    const std::int64_t H = layer.out;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, 16), [&](const auto& range) {
        for (std::int64_t k = range.begin(); k < range.end(); ++k) {
            const std::int64_t r = rows ? (*rows)[k] : k;
            const std::int64_t from = layer.rowStep[r];
            if (from >= t) continue;
            kernels::adamSteps(layer.W.data() + r * H, layer.mW.data() + r * H,
                               layer.vW.data() + r * H, nullptr, H, m_stepSize.data() + from,
                               m_invSqrtBc2.data() + from, t - from, beta1, beta2, eps,
                               weightDecay);
            layer.rowStep[r] = t;
        }
    });
}

void Adam::stepLazy(Dense& layer, const std::vector<std::int32_t>& rows, std::int64_t t,
                    float weightDecay) const {
    ensure(t);
    const std::int64_t H = layer.out;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, rows.size(), 16), [&](const auto& range) {
        for (std::size_t k = range.begin(); k < range.end(); ++k) {
            const std::int64_t r = rows[k];
            const std::int64_t from = layer.rowStep[r];
            kernels::adamSteps(layer.W.data() + r * H, layer.mW.data() + r * H,
                               layer.vW.data() + r * H, layer.gW.data() + r * H, H,
                               m_stepSize.data() + from, m_invSqrtBc2.data() + from, t - from,
                               beta1, beta2, eps, weightDecay);
            layer.rowStep[r] = t;
        }
    });
    stepBias(layer, t);
}


void Adam::step(Dense& layer, std::int64_t t, float weightDecay) const {
    kernels::adamStep(layer.W.data(), layer.mW.data(), layer.vW.data(), layer.gW.data(),
                      static_cast<std::int64_t>(layer.W.size()), lr, beta1, beta2, eps, weightDecay,
                      t);
    kernels::adamStep(layer.b.data(), layer.mb.data(), layer.vb.data(), layer.gb.data(),
                      static_cast<std::int64_t>(layer.b.size()), lr, beta1, beta2, eps, 0.0f, t);
}

SparseBatch makeBatch(const CsrMatrix& m, const std::int64_t* ids, std::int64_t begin,
                      std::int64_t end, float dropout, std::uint64_t seed) {
    SparseBatch s;
    s.rows = end - begin;
    s.ptr.assign(static_cast<std::size_t>(s.rows) + 1, 0);
    for (std::int64_t r = 0; r < s.rows; ++r) {
        const std::int64_t src = ids ? ids[begin + r] : begin + r;
        s.ptr[r + 1] = s.ptr[r] + m.rowNnz(src);
    }
    const auto nnz = static_cast<std::size_t>(s.ptr.back());
    s.idx.resize(nnz);
    s.input.resize(nnz);
    s.raw.resize(nnz);
    s.count.assign(static_cast<std::size_t>(s.rows), 0.0f);
    const float keep = 1.0f - dropout;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, s.rows, 64), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r) {
            const std::int64_t src = ids ? ids[begin + r] : begin + r;
            const auto idx = m.rowIndices(src);
            const auto val = m.rowValues(src);
            double sq = 0, cnt = 0;
            for (float v : val) {
                sq += static_cast<double>(v) * v;
                cnt += v;
            }
            s.count[r] = static_cast<float>(cnt);
            const float inv = sq > 0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
            Rng rng(mixSeed(seed, static_cast<std::uint64_t>(r)));
            const std::int64_t o = s.ptr[r];
            for (std::size_t k = 0; k < idx.size(); ++k) {
                s.idx[o + k] = idx[k];
                s.raw[o + k] = val[k];
                float x = val[k] * inv;
                if (dropout > 0.0f) x = rng.uniformFloat() < keep ? x / keep : 0.0f;
                s.input[o + k] = x;
            }
        }
    });
    return s;
}

void sparseForward(const SparseBatch& batch, const Dense& layer, float* out) {
    const std::int64_t H = layer.out;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, batch.rows, 16), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r) {
            float* o = out + r * H;
            std::copy_n(layer.b.data(), H, o);
            for (std::int64_t k = batch.ptr[r]; k < batch.ptr[r + 1]; ++k) {
                const float x = batch.input[k];
                if (x == 0.0f) continue;
                const float* w = layer.W.data() + static_cast<std::int64_t>(batch.idx[k]) * H;
                for (std::int64_t j = 0; j < H; ++j) o[j] += x * w[j];
            }
        }
    });
}

void sparseBackward(const SparseBatch& batch, const float* d, Dense& layer,
                    std::vector<std::int32_t>& touched) {
    const std::int64_t H = layer.out;
    for (std::int32_t item : touched)
        std::fill_n(layer.gW.data() + static_cast<std::int64_t>(item) * H, H, 0.0f);
    // Transpose the batch (items -> (row, value)) so that each gradient row is owned by one
    // task and summed in row order: deterministic for any thread count.
    std::vector<std::int64_t> itemPtr(static_cast<std::size_t>(layer.in) + 1, 0);
    for (std::size_t k = 0; k < batch.idx.size(); ++k)
        if (batch.input[k] != 0.0f) ++itemPtr[batch.idx[k] + 1];
    touched.clear();
    for (std::int64_t i = 0; i < layer.in; ++i) {
        if (itemPtr[i + 1] > 0) touched.push_back(static_cast<std::int32_t>(i));
        itemPtr[i + 1] += itemPtr[i];
    }
    std::vector<std::int64_t> fill(itemPtr.begin(), itemPtr.end() - 1);
    std::vector<std::int32_t> rowOf(static_cast<std::size_t>(itemPtr.back()));
    std::vector<float> valOf(rowOf.size());
    for (std::int64_t r = 0; r < batch.rows; ++r)
        for (std::int64_t k = batch.ptr[r]; k < batch.ptr[r + 1]; ++k) {
            if (batch.input[k] == 0.0f) continue;
            const std::int64_t p = fill[batch.idx[k]]++;
            rowOf[p] = static_cast<std::int32_t>(r);
            valOf[p] = batch.input[k];
        }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, touched.size(), 32), [&](const auto& range) {
        for (std::size_t t = range.begin(); t < range.end(); ++t) {
            const std::int32_t item = touched[t];
            float* g = layer.gW.data() + static_cast<std::int64_t>(item) * H;
            std::fill_n(g, H, 0.0f);
            for (std::int64_t p = itemPtr[item]; p < itemPtr[item + 1]; ++p) {
                const float v = valOf[p];
                const float* dr = d + static_cast<std::int64_t>(rowOf[p]) * H;
                for (std::int64_t j = 0; j < H; ++j) g[j] += v * dr[j];
            }
        }
    });
    colSum(d, batch.rows, H, layer.gb.data());
}

void denseForward(const float* x, std::int64_t B, const Dense& layer, float* out) {
    kernels::sgemm(false, false, B, layer.out, layer.in, 1.0f, x, layer.in, layer.W.data(),
                   layer.out, 0.0f, out, layer.out);
    const std::int64_t H = layer.out;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, B, 16), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r) {
            float* o = out + r * H;
            for (std::int64_t j = 0; j < H; ++j) o[j] += layer.b[j];
        }
    });
}

void denseBackward(const float* x, const float* d, std::int64_t B, Dense& layer, float* dx) {
    kernels::sgemm(true, false, layer.in, layer.out, B, 1.0f, x, layer.in, d, layer.out, 0.0f,
                   layer.gW.data(), layer.out);
    colSum(d, B, layer.out, layer.gb.data());
    if (dx)
        kernels::sgemm(false, true, B, layer.in, layer.out, 1.0f, d, layer.out, layer.W.data(),
                       layer.out, 0.0f, dx, layer.in);
}

void tanhInPlace(float* a, std::int64_t n) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, 1 << 14), [&](const auto& range) {
        for (std::int64_t i = range.begin(); i < range.end(); ++i) a[i] = std::tanh(a[i]);
    });
}

void tanhBackward(const float* h, float* d, std::int64_t n) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, 1 << 14), [&](const auto& range) {
        for (std::int64_t i = range.begin(); i < range.end(); ++i) d[i] *= 1.0f - h[i] * h[i];
    });
}

void colSum(const float* a, std::int64_t B, std::int64_t N, float* out) {
    constexpr std::int64_t kBlock = 512;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, (N + kBlock - 1) / kBlock),
                      [&](const auto& range) {
        for (std::int64_t blk = range.begin(); blk < range.end(); ++blk) {
            const std::int64_t j0 = blk * kBlock, j1 = std::min(N, j0 + kBlock);
            float* o = out + j0;
            std::fill(o, o + (j1 - j0), 0.0f);
            for (std::int64_t r = 0; r < B; ++r) {
                const float* row = a + r * N;
                for (std::int64_t j = j0; j < j1; ++j) o[j - j0] += row[j];
            }
        }
    });
}

Tensor toTensor(const std::vector<float>& v, std::int64_t rows, std::int64_t cols) {
    return Tensor{rows, cols, v};
}

}  // namespace vaecf::core::nn
