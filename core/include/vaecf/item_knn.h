// SPDX-License-Identifier: MIT
// ItemKNN baseline: cosine similarity between item columns of the training matrix, each item
// keeping its k most similar neighbours; a user's score for item j is Σ_{i in history} s_ij.
#pragma once

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& itemKnnInfo();  // id "itemknn"

class ItemKnn : public Model {
public:
    explicit ItemKnn(const Config& config);
    const ModelInfo& info() const override { return itemKnnInfo(); }
    void initialize(const CsrMatrix& train, std::uint64_t seed) override;
    bool iterative() const override { return false; }
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override;
    TensorMap state() const override;
    void setState(const TensorMap& state) override;

private:
    // Sparse neighbour lists: for item i, entries [ptr[i], ptr[i+1]) of (nbr, sim).
    std::vector<std::int64_t> m_ptr;
    std::vector<std::int32_t> m_nbr;
    std::vector<float> m_sim;
};

}  // namespace vaecf::core
