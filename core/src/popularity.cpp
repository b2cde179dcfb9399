// SPDX-License-Identifier: MIT
#include "vaecf/popularity.h"

#include <algorithm>

#include "vaecf/error.h"

namespace vaecf::core {

const ModelInfo& popularityInfo() {
    static const ModelInfo info{"popularity", "Popularity", "baseline",
                                "Ranks items by the number of training users who have them",
                                ModelFamily::Baseline, {}};
    return info;
}

Popularity::Popularity(const Config& config) {
    m_config = validateConfig(popularityInfo().params, config, popularityInfo().id);
}

void Popularity::initialize(const CsrMatrix& train, std::uint64_t) {
    if (train.cols <= 0) fail("cannot initialize popularity: the training matrix has no items");
    m_numItems = train.cols;
    m_numUsers = train.rows;
    m_counts.assign(static_cast<std::size_t>(train.cols), 0.0f);
}

EpochStats Popularity::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                                  std::stop_token) {
    if (!initialized()) fail("train popularity: the model is not initialized");
    if (train.cols != m_numItems)
        fail("train popularity: the matrix has " + std::to_string(train.cols) + " items, the model " +
             std::to_string(m_numItems));
    std::fill(m_counts.begin(), m_counts.end(), 0.0f);
    for (std::int32_t i : train.indices) m_counts[i] += 1.0f;
    EpochStats s;
    s.batches = 1;
    s.updates = 1;
    if (onBatch) onBatch({epoch, 0, 1, 1, {}});
    return s;
}

void Popularity::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                       float* out) const {
    if (!initialized()) fail("score popularity: the model is not trained");
    if (rows.cols != m_numItems)
        fail("score: the rows have " + std::to_string(rows.cols) + " items, the model " +
             std::to_string(m_numItems));
    for (std::int64_t r = begin; r < end; ++r)
        std::copy(m_counts.begin(), m_counts.end(), out + (r - begin) * m_numItems);
}

TensorMap Popularity::state() const {
    return {{"counts", Tensor{1, m_numItems, m_counts}}};
}

void Popularity::setState(const TensorMap& state) {
    m_counts = requireTensor(state, "counts", 1, m_numItems).data;
}

}  // namespace vaecf::core
