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
    // One epoch as the reference: every item batch (in order, against the stored theta), then
    // every user batch (against the stored beta), each an Adam step of its side's optimizer.
    // onBatch sees both sides, batch index running over the item batches then the user
    // batches, each with its own side's terms (recon and kl per item for item batches); the
    // epoch's mean terms are the user side's, the loss of the users being recommended to.
    // Afterwards mu_beta is recomputed from the item encoder, so scores are always current.
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    // Raw logits μ_θ(row) · mu_betaᵀ (the reference's σ of them ranks the same); decode()
    // likewise. encode() gives μ_θ and log σ_θ².
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    int latentDim() const override;
    void encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                float* logVar) const override;
    bool hasDecoder() const override { return true; }
    void decode(const float* z, std::int64_t n, float* out) const override;
    Tensor itemEmbeddings() const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override;
    // parameters(): each side's layers ("user.fc0", ..., "user.head" whose 2K outputs are
    // [μ | s] with σ = sigmoid(s); "item.*" alike; "user.prior" / "item.prior" with CAP), each
    // as ".W" and ".b", and "mu_beta" (items x K). state() adds the Adam moments, the tables
    // "theta", "mu_theta", "beta", the step counters "steps" and the noise seed "seed".
    // setState() takes either; a prior in it is adopted by a model that has no features for
    // that side (copies and model files score without them; training needs them again).
    TensorMap state() const override;
    void setState(const TensorMap& state) override;
    TensorMap parameters() const override;

    // User side: the loss of user rows [begin, end) against the stored item samples (beta),
    // with the gradient of the user encoder (and user prior).
    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override;
    // Item side, the same shape: rows [begin, end) of `itemRows` (items x training users, each
    // item's column) against the stored user samples (theta), with the gradient of the item
    // encoder (and item prior).
    LossTerms itemBatchLoss(const CsrMatrix& itemRows, std::int64_t begin, std::int64_t end,
                            std::uint64_t noiseSeed, bool training, double beta,
                            TensorMap* gradient) const;
    // A key of parameters(): a layer's "<side>.<layer>.W" / ".b", or "mu_beta".
    std::vector<float>& parameter(const std::string& name) override;

private:
    LossTerms sideLoss(bool itemSide, const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                       std::uint64_t noiseSeed, bool training, double beta,
                       TensorMap* gradient) const;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace vaecf::core
