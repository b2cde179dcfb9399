// SPDX-License-Identifier: MIT
// ItemKNN: see item_knn.h. Item i's co-occurrences c_i· are accumulated from the users of i
// (the transposed matrix) into a dense per-task buffer; every item is handled by one task in
// a fixed order, so the lists are the same for any thread count.
#include "vaecf/item_knn.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "vaecf/error.h"

namespace vaecf::core {

namespace {

ParamSpecs itemKnnSpecs() {
    return {
        {"k", "Neighbours", "k",
         "Most similar items each item keeps (RecBole's ItemKNN default: 100)", "Architecture",
         ParamKind::Int, 1, 100000, true, 100, {}, 0},
        {"shrink", "Shrinkage", "h",
         "Added to the cosine's denominator, damping similarities that rest on few shared "
         "users (RecBole's default: 0)",
         "Regularization", ParamKind::Real, 0, 1e6, false, 0.0, {}, 0},
        {"binarize", "Binary input", "",
         "Count every stored interaction as 1; off: use the stored values", "Input",
         ParamKind::Bool, 0, 1, false, true, {}, 0},
    };
}

}  // namespace

const ModelInfo& itemKnnInfo() {
    static const ModelInfo info{"itemknn", "ItemKNN", "Deshpande & Karypis, TOIS 2004",
                                "Item-based nearest neighbours: sums the cosine similarities "
                                "of each item's k most similar items",
                                ModelFamily::Baseline, itemKnnSpecs()};
    return info;
}

ItemKnn::ItemKnn(const Config& config) {
    m_config = validateConfig(info().params, config, info().id);
    m_k = m_config["k"].get<std::int64_t>();
    m_shrink = m_config["shrink"].get<double>();
    m_binarize = m_config["binarize"].get<bool>();
}

void ItemKnn::initialize(const CsrMatrix& train, std::uint64_t) {
    if (train.cols <= 0) fail("cannot initialize itemknn: the training matrix has no items");
    checkMemory(info().id, memoryEstimate(train.rows, train.cols, train.nnz()), "lower k");
    m_numItems = train.cols;
    m_numUsers = train.rows;
    m_fitted = false;
    m_ptr.assign(static_cast<std::size_t>(m_numItems + 1), 0);
    m_nbr.clear();
    m_sim.clear();
}

bool ItemKnn::fit(const CsrMatrix& train, std::stop_token stop) {
    const std::int64_t I = m_numItems;
    const std::int64_t kk = std::min<std::int64_t>(m_k, I - 1);
    // The item -> users lists with each entry's weight in XᵀX.
    const CsrMatrix cols = (m_binarize ? train.binarized() : train).transposed();
    std::vector<double> norm(static_cast<std::size_t>(I), 0.0);
    for (std::int64_t i = 0; i < I; ++i)
        for (std::int64_t k = cols.indptr[i]; k < cols.indptr[i + 1]; ++k)
            norm[i] += static_cast<double>(cols.values[k]) * static_cast<double>(cols.values[k]);
    for (double& n : norm) n = std::sqrt(n);

    // Up to kk neighbours per item in fixed slots, compacted afterwards.
    std::vector<std::int64_t> count(static_cast<std::size_t>(I), 0);
    std::vector<std::int32_t> slotNbr(static_cast<std::size_t>(I * kk));
    std::vector<float> slotSim(slotNbr.size());
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, I, 8), [&](const auto& range) {
        std::vector<double> acc(static_cast<std::size_t>(I), 0.0);
        std::vector<std::uint8_t> seen(static_cast<std::size_t>(I), 0);
        std::vector<std::int32_t> touched;
        std::vector<Neighbor> cand;
        for (std::int64_t i = range.begin(); i < range.end(); ++i) {
            if (stop.stop_requested()) return;
            touched.clear();
            for (std::int64_t k = cols.indptr[i]; k < cols.indptr[i + 1]; ++k) {
                const std::int64_t u = cols.indices[k];
                const double a = static_cast<double>(cols.values[k]);
                for (std::int64_t e = train.indptr[u]; e < train.indptr[u + 1]; ++e) {
                    const std::int32_t j = train.indices[e];
                    if (j == i) continue;
                    if (!seen[j]) {
                        seen[j] = 1;
                        touched.push_back(j);
                    }
                    acc[j] += a * (m_binarize ? 1.0 : train.values[e]);
                }
            }
            cand.clear();
            for (std::int32_t j : touched) {
                const double c = acc[j];
                acc[j] = 0;
                seen[j] = 0;
                // The order is decided on the stored (float) value, so equal stored
                // similarities always come out lower index first.
                if (c != 0) cand.push_back({j, static_cast<float>(c / (norm[i] * norm[j] + m_shrink))});
            }
            const auto before = [](const Neighbor& a, const Neighbor& b) {
                return a.similarity != b.similarity ? a.similarity > b.similarity : a.item < b.item;
            };
            const std::size_t keep = std::min(cand.size(), static_cast<std::size_t>(kk));
            std::partial_sort(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(keep), cand.end(),
                              before);
            count[i] = static_cast<std::int64_t>(keep);
            for (std::size_t s = 0; s < keep; ++s) {
                slotNbr[i * kk + static_cast<std::int64_t>(s)] = cand[s].item;
                slotSim[i * kk + static_cast<std::int64_t>(s)] = cand[s].similarity;
            }
        }
    });
    if (stop.stop_requested()) return false;

    m_ptr.assign(static_cast<std::size_t>(I + 1), 0);
    for (std::int64_t i = 0; i < I; ++i) m_ptr[i + 1] = m_ptr[i] + count[i];
    m_nbr.resize(static_cast<std::size_t>(m_ptr[I]));
    m_sim.resize(m_nbr.size());
    for (std::int64_t i = 0; i < I; ++i) {
        std::copy_n(slotNbr.begin() + i * kk, count[i], m_nbr.begin() + m_ptr[i]);
        std::copy_n(slotSim.begin() + i * kk, count[i], m_sim.begin() + m_ptr[i]);
    }
    return true;
}

EpochStats ItemKnn::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                               std::stop_token stop) {
    if (!initialized()) fail("train itemknn: the model is not initialized");
    if (train.cols != m_numItems)
        fail("train itemknn: the matrix has " + std::to_string(train.cols) +
             " items, the model " + std::to_string(m_numItems));
    EpochStats stats;
    stats.updates = m_fitted ? 1 : 0;
    // Fitted in the first epoch; later ones have nothing to do (zero batches).
    if (m_fitted && epoch > 1) return stats;
    if (stop.stop_requested() || !fit(train, stop)) {
        stats.stopped = true;
        return stats;
    }
    m_fitted = true;
    stats.batches = 1;
    stats.updates = 1;
    if (onBatch) onBatch({epoch, 0, 1, 1, {}});
    return stats;
}

void ItemKnn::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                    float* out) const {
    if (!initialized()) fail("score itemknn: the model is not trained");
    if (rows.cols != m_numItems)
        fail("score itemknn: the rows have " + std::to_string(rows.cols) + " items, the model " +
             std::to_string(m_numItems));
    if (begin < 0 || end < begin || end > rows.rows)
        fail("score itemknn: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
             ") are outside the matrix's " + std::to_string(rows.rows) + " rows");
    const std::int64_t I = m_numItems;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(begin, end, 16), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r) {
            float* o = out + (r - begin) * I;
            std::fill(o, o + I, 0.0f);
            for (std::int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k) {
                const float w = m_binarize ? 1.0f : rows.values[k];
                const std::int32_t i = rows.indices[k];
                for (std::int64_t e = m_ptr[i]; e < m_ptr[i + 1]; ++e) o[m_nbr[e]] += w * m_sim[e];
            }
        }
    });
}

std::vector<ItemKnn::Neighbor> ItemKnn::neighbors(std::int32_t item) const {
    if (item < 0 || item >= m_numItems)
        fail("itemknn: no item " + std::to_string(item) + " (the model has " +
             std::to_string(m_numItems) + ")");
    std::vector<Neighbor> out;
    for (std::int64_t e = m_ptr[item]; e < m_ptr[item + 1]; ++e) out.push_back({m_nbr[e], m_sim[e]});
    return out;
}

double ItemKnn::memoryEstimate(std::int64_t, std::int64_t items, std::int64_t nnz) const {
    // The item -> users lists (16 bytes per interaction), the neighbour slots and the final
    // lists (8 bytes per neighbour each), and per concurrent task a dense accumulator and
    // its flags (9 bytes per item).
    const double I = static_cast<double>(items);
    const double kk = static_cast<double>(std::min<std::int64_t>(m_k, std::max<std::int64_t>(items - 1, 0)));
    const double tasks = tbb::this_task_arena::max_concurrency();
    return 16.0 * static_cast<double>(nnz) + 8.0 * (I + 1) + 8.0 * I + 16.0 * I * kk +
           tasks * 9.0 * I;
}

TensorMap ItemKnn::state() const {
    const std::int64_t I = m_numItems, n = static_cast<std::int64_t>(m_nbr.size());
    Tensor counts{1, I, std::vector<float>(static_cast<std::size_t>(I))};
    for (std::int64_t i = 0; i < I; ++i) counts.data[i] = static_cast<float>(m_ptr[i + 1] - m_ptr[i]);
    // Item indices can exceed 2^24, beyond float's exact integers: split them in two.
    Tensor nbr{2, n, std::vector<float>(static_cast<std::size_t>(2 * n))};
    for (std::int64_t e = 0; e < n; ++e) {
        nbr.data[e] = static_cast<float>(m_nbr[e] >> 24);
        nbr.data[n + e] = static_cast<float>(m_nbr[e] & 0xFFFFFF);
    }
    return {{"counts", counts}, {"neighbors", nbr}, {"similarities", Tensor{1, n, m_sim}}};
}

void ItemKnn::setState(const TensorMap& state) {
    if (!initialized()) fail("set state of itemknn: initialize the model first");
    const std::int64_t I = m_numItems;
    const auto& counts = requireTensor(state, "counts", 1, I).data;
    std::vector<std::int64_t> ptr(static_cast<std::size_t>(I + 1), 0);
    for (std::int64_t i = 0; i < I; ++i) {
        const float c = counts[i];
        if (!(c >= 0 && c <= static_cast<float>(I - 1)) || c != std::floor(c)) {
            char shown[32];
            std::snprintf(shown, sizeof shown, "%g", static_cast<double>(c));
            fail("model state tensor 'counts' of itemknn holds " + std::string(shown) +
                 " neighbours for item " + std::to_string(i) + " (expected a whole number from 0 to " +
                 std::to_string(I - 1) + ")");
        }
        ptr[i + 1] = ptr[i] + static_cast<std::int64_t>(c);
    }
    const std::int64_t n = ptr[I];
    const auto& nbr = requireTensor(state, "neighbors", 2, n).data;
    const auto& sim = requireTensor(state, "similarities", 1, n).data;
    std::vector<std::int32_t> items(static_cast<std::size_t>(n));
    for (std::int64_t e = 0; e < n; ++e) {
        const float hi = nbr[e], lo = nbr[n + e];
        const double j = static_cast<double>(hi) * 16777216.0 + lo;
        if (!(hi >= 0 && lo >= 0 && lo < 16777216.0f && j < static_cast<double>(I)) ||
            hi != std::floor(hi) || lo != std::floor(lo))
            fail("model state tensor 'neighbors' of itemknn holds an invalid item index at "
                 "entry " + std::to_string(e));
        items[e] = static_cast<std::int32_t>(j);
    }
    m_ptr = std::move(ptr);
    m_nbr = std::move(items);
    m_sim = sim;
    m_fitted = true;
}

}  // namespace vaecf::core
