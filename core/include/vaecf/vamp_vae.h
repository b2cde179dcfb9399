// SPDX-License-Identifier: MIT
// The VampPrior family of Kim & Suh, "Enhancing VAEs for Collaborative Filtering: Flexible
// Priors & Gating Mechanisms" (RecSys 2019), after Tomczak & Welling's VampPrior, as the
// authors' EVCF code implements it (models.md §5-8):
//   Vamp         one stochastic layer z with the VampPrior p(z) = 1/C Σ_c q(z | u_c);
//   H+Vamp       two stochastic layers: q(z2|x), q(z1|x,z2), p(z1|z2), p(x|z1,z2), VampPrior on z2;
//   H+Vamp Gated H+Vamp with every hidden layer a gated linear unit (W x + b) ⊙ σ(V x + c).
// Pseudo-inputs u_c = clip(w_c, 0, 1) are learned; log p(z) is a log-sum-exp mixture; the KL
// is a one-sample Monte-Carlo estimate; multinomial (default) or Bernoulli likelihood;
// log-variances clipped to [-12, 4]; optional per-epoch β warm-up and AdamNormGrad.
// Hand-written forward and backward passes; tests check them by finite differences.
#pragma once

#include <memory>

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& vampInfo();        // id "vamp"
const ModelInfo& hvampInfo();       // id "hvamp"
const ModelInfo& hvampGatedInfo();  // id "hvamp-gated"

enum class VampVariant { Vamp, HVamp, HVampGated };

class VampVae : public Model, public Differentiable {
public:
    VampVae(VampVariant variant, const Config& config);
    ~VampVae() override;

    const ModelInfo& info() const override;
    void initialize(const CsrMatrix& train, std::uint64_t seed) override;
    int defaultEpochs() const override;
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    // Vamp: z. H+Vamp: [z1 | z2] (z1_size + z2_size), the means q(z1|x, μ2) and q(z2|x).
    int latentDim() const override;
    void encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                float* logVar) const override;
    bool hasDecoder() const override { return true; }
    void decode(const float* z, std::int64_t n, float* out) const override;
    Tensor itemEmbeddings() const override;
    Tensor pseudoInputLatents() const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override;
    TensorMap state() const override;
    void setState(const TensorMap& state) override;
    TensorMap parameters() const override;

    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override;
    std::vector<float>& parameter(const std::string& name) override;
    // The KL weight of `epoch` (1-based): warmup max_beta·min(1, epoch / warmup_epochs) (EVCF),
    // anneal min(max_beta, updates / total_anneal_steps) at the current update (Liang),
    // constant max_beta.
    double currentBeta(int epoch) const;
    std::int64_t updates() const;

    // EVCF's AdamNormGrad on one tensor of n entries (exposed for tests): g is divided in place
    // by its L2 norm + 1e-7, then Adam (β1 0.9, β2 0.999, ε 1e-8 added to √v as the reference's
    // optimizer does) takes step t >= 1 with rate lr.
    static void adamNormGradStep(float* w, float* m, float* v, float* g, std::int64_t n, float lr,
                                 std::int64_t step);
    // log p(z) of n points (n x K) under the mixture 1/C Σ_c N(μ_c, diag exp(logVar_c)) (C x K),
    // without the 2π constant, exactly as the training loss computes it (products, max-shifted
    // log-sum-exp).
    static void logVampPrior(const float* z, std::int64_t n, const float* mu, const float* logVar,
                             std::int64_t C, std::int64_t K, double* out);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    VampVariant m_variant;
};

}  // namespace vaecf::core
