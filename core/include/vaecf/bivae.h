// SPDX-License-Identifier: MIT
// BiVAE, the bilateral VAE of Truong, Salah & Lauw (WSDM 2021), as Cornac's BiVAECF implements
// it (models.md §9): a user encoder over the user's row and an item encoder over the item's
// column, an inner-product decoder x̂_ui = σ(θ_u · β_i), a Poisson (default), Bernoulli or
// Gaussian likelihood, and alternating item / user updates with two Adam optimizers. The
// constrained adaptive prior (prior means from side features) is available when features
// are supplied. New users are scored by fold-in through the user encoder, which Cornac
// cannot do. The item side streams in batches: no dense users x items matrix is ever built.
#pragma once

#include <memory>

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& biVaeInfo();  // id "bivae"

class BiVae : public Model, public Differentiable {
public:
    explicit BiVae(const Config& config);
    ~BiVae() override;

    const ModelInfo& info() const override;
    // Side features for the constrained adaptive prior (CAP): one row per training user
    // (rows x f_u) and/or per item (items x f_i), given before initialize(); an empty tensor
    // leaves that side's prior at N(0, I).
    void setSideFeatures(const Tensor& userFeatures, const Tensor& itemFeatures);
    void initialize(const CsrMatrix& train, std::uint64_t seed) override;
    int defaultEpochs() const override;
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    int latentDim() const override;
    void encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                float* logVar) const override;
    bool hasDecoder() const override { return true; }
    void decode(const float* z, std::int64_t n, float* out) const override;
    Tensor itemEmbeddings() const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override;
    TensorMap state() const override;
    void setState(const TensorMap& state) override;
    TensorMap parameters() const override;

    // User side: the loss of user rows [begin, end) against the stored item samples.
    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override;
    std::vector<float>& parameter(const std::string& name) override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace vaecf::core
