// SPDX-License-Identifier: MIT
// Mult-VAE and Mult-DAE (Liang, Krishnan, Hoffman & Jebara, "Variational Autoencoders for
// Collaborative Filtering", WWW 2018), as the authors' notebook implements them
// (models.md §3-4).
//
// Input: each user's binary row x_u, L2-normalized, then dropout (rate p, survivors scaled by
// 1/(1-p)) while training.
//
// Mult-VAE objective per batch (minimized), the negative ELBO with KL weight β:
//   L = mean_u [ -Σ_i x_ui log softmax(f_θ(z_u))_i ]                       (reconstruction)
//     + β · mean_u [ Σ_d ½(-log σ²_ud + σ²_ud + μ²_ud - 1) ]               (analytic KL)
//   with [μ_u, log σ²_u] = g_φ(x̃_u), z_u = μ_u + ε ⊙ σ_u, ε ~ N(0, I) (z_u = μ_u at test).
//   β = min(cap, updates / total_anneal_steps), or a constant.
// Mult-DAE objective: L = mean_u [ -Σ_i x_ui log softmax(f(g(x̃_u)))_i ] + λ Σ_W ‖W‖²,
//   with tanh after every layer but the output (the code is tanh-squashed).
// Layers are dense with biases and tanh on hidden layers; the first layer reads the sparse
// input directly. Weights: Xavier-uniform; biases: N(0, 0.001²) truncated at 2σ. Adam.
// Hand-written forward and backward passes; tests check them by finite differences.
#pragma once

#include <memory>

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& multVaeInfo();
const ModelInfo& multDaeInfo();

class MultVae : public Model, public Differentiable {
public:
    // variational = true: Mult-VAE; false: Mult-DAE. `config` is validated against the info.
    MultVae(bool variational, const Config& config);
    ~MultVae() override;

    const ModelInfo& info() const override;
    void initialize(const CsrMatrix& train, std::uint64_t seed) override;
    int defaultEpochs() const override { return 200; }
    EpochStats trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                          std::stop_token stop) override;
    void score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
               float* out) const override;
    int latentDim() const override;
    void encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                float* logVar) const override;
    // The decoder f_θ on latent points: the raw item logits, exactly what score() returns
    // for a row whose posterior mean (VAE) or code (DAE) is z (softmax is monotone, so the
    // logits rank items as the log-softmax would). For the Mult-DAE the "latent" point is the
    // tanh-squashed code that encode() returns, and the decoder is the code → output part
    // of the network, so it has a decoder in the same sense; points outside (-1, 1)^K are
    // accepted but lie outside the codes the encoder can produce.
    bool hasDecoder() const override { return true; }
    void decode(const float* z, std::int64_t n, float* out) const override;
    Tensor itemEmbeddings() const override;
    TensorMap state() const override;
    void setState(const TensorMap& state) override;
    TensorMap parameters() const override;
    double memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const override;

    // --- for tests (gradient checks) and benchmarks -----------------------------------------
    // Loss of one batch (rows [begin, end) of `rows`) with fixed dropout masks and noise drawn
    // from `noiseSeed`, and optionally its gradient in the same layout as parameters().
    // With training = false: no dropout, z = μ (but the loss is still the training loss).
    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override;
    // Mutable access to a parameter tensor by name (tests perturb single weights).
    std::vector<float>& parameter(const std::string& name) override;
    double currentBeta() const;
    std::int64_t updates() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    bool m_variational;
};

}  // namespace vaecf::core
