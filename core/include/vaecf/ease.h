// SPDX-License-Identifier: MIT
// EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the
// closed-form item-item model B = I - P diag(1 / diag P), P = (XᵀX + λI)⁻¹, computed in
// float64; scores x B. Needs I x I matrices: the memory is estimated before it runs.
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
    std::vector<float> m_B;  // items x items, row-major, zero diagonal
};

}  // namespace vaecf::core
