// SPDX-License-Identifier: MIT
// ItemKNN baseline: cosine similarity between item columns of the training matrix, each item
// keeping its k most similar neighbours; a user's score for item j is Σ_{i in history} s_ij.
//
//   s_ij = c_ij / (‖x_·i‖ ‖x_·j‖ + shrink),  c_ij = Σ_u x_ui x_uj  (i ≠ j, c_ij ≠ 0 only)
//
// Item i keeps the k items j with the largest s_ij (ties: lower j first), in that order. The
// fit happens in the first "epoch" (later epochs do nothing and report zero batches); there
// is no loss. state(): "counts" (1 x items, neighbours per item), "neighbors" (2 x total:
// each index split into idx >> 24 and idx & 0xFFFFFF, so both stay exact in float) and
// "similarities" (1 x total), the lists concatenated in item order.
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

    // Neighbour list of item i, most similar first (for inspection and tests).
    struct Neighbor {
        std::int32_t item;
        float similarity;
    };
    std::vector<Neighbor> neighbors(std::int32_t item) const;

private:
    // Computes the lists from `train`; false (lists untouched) when `stop` fired first.
    bool fit(const CsrMatrix& train, std::stop_token stop);

    std::int64_t m_k = 100;
    double m_shrink = 0;
    bool m_binarize = true;
    bool m_fitted = false;
    // Sparse neighbour lists: for item i, entries [ptr[i], ptr[i+1]) of (nbr, sim).
    std::vector<std::int64_t> m_ptr;
    std::vector<std::int32_t> m_nbr;
    std::vector<float> m_sim;
};

}  // namespace vaecf::core
