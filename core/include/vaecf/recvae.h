// SPDX-License-Identifier: MIT
// RecVAE (Shenbin, Alekseev, Tutubalina, Malykh & Nikolenko, WSDM 2020), as the authors' code
// implements it (models.md §10): a dense-residual encoder of swish + LayerNorm layers, a linear
// decoder with a multinomial likelihood, the composite prior (N(0, I), the frozen previous
// encoder's posterior, a wide N(0, e^10 I)) per latent dimension, a user-dependent KL weight
// β_u = γ |x_u|, and alternating encoder / decoder phases with two Adam optimizers.
// Hand-written forward and backward passes; tests check them by finite differences.
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

    LossTerms batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                        std::uint64_t noiseSeed, bool training, double beta,
                        TensorMap* gradient) const override;
    std::vector<float>& parameter(const std::string& name) override;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace vaecf::core
