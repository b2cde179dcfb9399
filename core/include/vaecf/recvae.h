// SPDX-License-Identifier: MIT
// RecVAE (Shenbin, Alekseev, Tutubalina, Malykh & Nikolenko, WSDM 2020), as the authors' code
// implements it (models.md §10): a dense-residual encoder of swish + LayerNorm layers, a linear
// decoder with a multinomial likelihood, the composite prior (N(0, I), the frozen previous
// encoder's posterior, a wide N(0, e^10 I)) per latent dimension, a user-dependent KL weight
// β_u = γ |x_u|, and alternating encoder / decoder phases with two Adam optimizers.
// Hand-written forward and backward passes; tests check them by finite differences.
//
// Encoder (x̃ = dropout(x / ‖x‖₂), H wide, swish(a) = a σ(a), LN = LayerNorm with gain and bias):
//   h1 = LN(swish(W1 x̃ + b1)),  h_k = LN(swish(W_k h_{k-1} + b_k + h1 + … + h_{k-1})), k = 2..5
//   μ = Wμ h5 + bμ,  log σ² = Wσ h5 + bσ;  z = μ + ε σ while training, z = μ when scoring.
// Decoder: logits = Wd z + bd; log p(x|z) = Σ_i x_i log softmax(logits)_i.
// Composite prior, per latent coordinate d, with the old encoder's (μ°, log σ°²) on the
// undropped row:
//   log p(z_d) = logsumexp(log α₁ + log N(z_d; 0, 1), log α₂ + log N(z_d; μ°_d, σ°²_d),
//                          log α₃ + log N(z_d; 0, e^ρ)),   α = (3/20, 3/4, 1/10), ρ = 10.
// Batch loss (minimized), one-sample Monte Carlo KL:
//   L = mean_u [ -log p(x_u|z_u) ] + mean_u [ β_u Σ_d (log q(z_ud|x_u) - log p(z_ud)) ],
//   β_u = γ |x_u| (|x_u| = Σ_i x_ui of the undropped row), or a constant β when configured.
// Reported LossTerms: recon = mean_u NLL_u, kl = mean_u KL_u (unweighted), beta = mean_u β_u
// of the batch, loss = L. With per-user weights, loss is not recon + beta · kl.
//
// Training epoch (alternating, the default): n_enc_epochs shuffled passes updating only the
// encoder (dropout p; the gradient reaches the encoder through the likelihood and the KL, via
// z and via log q; the old encoder is frozen), then the old encoder becomes a copy of the
// encoder, then n_dec_epochs passes updating only the decoder (no dropout, z still sampled).
// With alternating = false each epoch is one joint pass (dropout p) and, as in the reference
// code, the old encoder keeps its initialization. Like the reference, the old encoder is
// initialized independently of the encoder (PyTorch's default Linear init for all layers).
// The old encoder is part of parameters(): a copy or a loaded model can go on training as the
// original would. With n_enc_epochs >= 2 the old posterior of every training user is computed
// once per epoch (users x 2K floats kept) instead of once per encoder pass: the old encoder is
// frozen and reads the undropped rows, so the values are the same.
#pragma once

#include <memory>

#include "vaecf/model.h"

namespace vaecf::core {

const ModelInfo& recVaeInfo();  // id "recvae"

class RecVae : public Model, public Differentiable {
public:
    explicit RecVae(const Config& config);
    ~RecVae() override;

    const ModelInfo& info() const override;
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

    // The loss L above for rows [begin, end) with the dropout mask and ε drawn from noiseSeed
    // (training = false: no dropout, z = μ) and its gradient for every trainable tensor
    // (encoder and decoder at once; the frozen old encoder has none). `beta` is ignored: the
    // KL weights come from the config (γ |x_u| or the constant β).
    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override;
    // Any key of parameters(), old encoder included.
    std::vector<float>& parameter(const std::string& name) override;

    // --- for tests --------------------------------------------------------------------------
    // log p(z) of the composite prior for one latent coordinate, given the old posterior's
    // mean and log-variance for that coordinate (−½ log 2π included in every component).
    double logPrior(double z, double oldMu, double oldLogVar) const;
    std::int64_t encoderSteps() const;  // Adam steps of the encoder optimizer
    std::int64_t decoderSteps() const;  // Adam steps of the decoder optimizer

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace vaecf::core
