// SPDX-License-Identifier: MIT
// Popularity baseline: every user gets the items ranked by how many training users have them.
// The yardstick a personalized model must beat by far.
#pragma once

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& popularityInfo();

class Popularity : public Model {
public:
    explicit Popularity(const Config& config);
    const ModelInfo& info() const override { return popularityInfo(); }
    void initialize(const CsrMatrix& train, std::uint64_t seed) override;
    bool iterative() const override { return false; }
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override {
        return 4.0 * static_cast<double>(items);
    }
    TensorMap state() const override;
    void setState(const TensorMap& state) override;

private:
    std::vector<float> m_counts;
};

}  // namespace vaecf::core
