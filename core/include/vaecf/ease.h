// SPDX-License-Identifier: MIT
// EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the
// closed-form item-item model B = I - P diag(1 / diag P), P = (XᵀX + λI)⁻¹, computed in
// float64; scores x B. Needs I x I matrices: the memory is estimated before it runs.
//
// The fit happens in the first "epoch" (later epochs do nothing and report zero batches).
// Its loss terms are the objective per training user: recon = ‖X - XB‖²_F / U and
// penalty = λ‖B‖²_F / U. EASE has no latent space and no item embeddings: the rows of B are
// item-to-item weights (latentDim() 0, itemEmbeddings() empty). state() is B alone.
#pragma once

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& easeInfo();  // id "ease"

class Ease : public Model {
public:
    explicit Ease(const Config& config);
    const ModelInfo& info() const override { return easeInfo(); }
    void initialize(const CsrMatrix& train, std::uint64_t seed) override;
    bool iterative() const override { return false; }
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    Tensor itemEmbeddings() const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override;
    TensorMap state() const override;
    void setState(const TensorMap& state) override;

private:
    // Fits B to `train`; false (B untouched) when `stop` fired first.
    bool fit(const CsrMatrix& train, std::stop_token stop, LossTerms& terms);
    // Σ_u ‖x_u - x_u B‖² over the rows of `train`, with B as stored.
    double squaredError(const CsrMatrix& train) const;

    double m_lambda = 500;
    bool m_positiveOnly = false;
    bool m_binarize = true;
    bool m_fitted = false;
    std::vector<float> m_B;  // items x items, row-major, zero diagonal
};

}  // namespace vaecf::core
