// SPDX-License-Identifier: MIT
// RecVAE: see recvae.h for the model and the objective. Gradients below are those of the batch
// loss L (means over the batch), written layer by layer in reverse. LayerNorm and swish are
// self-contained building blocks (layerNormForward/Backward, swishForward/Backward).
#include "vaecf/recvae.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "kernels/kernels.h"
#include "nn.h"
#include "vaecf/error.h"

namespace vaecf::core {

namespace {

constexpr int kDepth = 5;  // hidden layers of the encoder
const double kLog2Pi = std::log(2.0 * std::numbers::pi);

// Seed tags of the random streams.
constexpr std::uint64_t kInitTag = 0x1417, kShuffleTag = 0x5FF1E, kNoiseTag = 0xBA7C4,
                        kEpsTag = 0xE95;

ParamSpecs recVaeSpecs() {
    using K = ParamKind;
    return {
        {"hidden_dim", "Hidden width", "H",
         "Width of the five dense-residual encoder layers (Shenbin et al.: 600)", "Architecture",
         K::Int, 1, 65536, true, 600, {}, 0},
        {"latent_dim", "Latent size", "K", "Dimension of the latent z (Shenbin et al.: 200)",
         "Architecture", K::Int, 1, 4096, true, 200, {}, 0},
        {"layer_norm_eps", "LayerNorm ε", "ε",
         "Added to the variance in every LayerNorm (reference code: 0.1; the paper's notebook: "
         "1e-5)",
         "Architecture", K::Real, 1e-12, 10, true, 0.1, {}, 0},
        {"dropout", "Input dropout", "p",
         "Dropout rate on the L2-normalized input during the encoder passes (reference: 0.5)",
         "Regularization", K::Real, 0, 0.95, false, 0.5, {}, 0},
        {"gamma", "KL weight per interaction", "γ",
         "User-dependent KL weight β_u = γ·|x_u| (reference: 0.005 on ML-20M)",
         "Regularization", K::Real, 0, 10, false, 0.005, {}, 0},
        {"beta", "Constant KL weight", "β",
         "When > 0, the same KL weight for every user instead of γ·|x_u| (reference: --beta; "
         "default 0 = use γ)",
         "Regularization", K::Real, 0, 100, false, 0.0, {}, 0},
        {"weight_standard", "Standard-normal weight", "α₁",
         "Weight of N(0, I) in the composite prior; the three weights are normalized to sum 1 "
         "(reference: 3/20)",
         "Prior", K::Real, 0, 1, false, 0.15, {}, 0},
        {"weight_old", "Old-posterior weight", "α₂",
         "Weight of the previous encoder's posterior in the composite prior (reference: 3/4)",
         "Prior", K::Real, 0, 1, false, 0.75, {}, 0},
        {"weight_wide", "Wide-normal weight", "α₃",
         "Weight of the wide N(0, e^ρ I) in the composite prior (reference: 1/10)", "Prior",
         K::Real, 0, 1, false, 0.1, {}, 0},
        {"wide_logvar", "Wide log-variance", "ρ",
         "Log-variance of the wide prior component (reference: 10)", "Prior", K::Real, -10, 30,
         false, 10.0, {}, 0},
        {"alternating", "Alternate encoder / decoder", "",
         "true: per epoch, encoder passes, old-encoder refresh, decoder passes (reference); "
         "false: one joint pass (--not-alternating), the old encoder never refreshed",
         "Optimization", K::Bool, 0, 0, false, true, {}, 0},
        {"n_enc_epochs", "Encoder passes", "",
         "Passes over the users per epoch that update only the encoder (reference: 3)",
         "Optimization", K::Int, 0, 100, false, 3, {}, 0},
        {"n_dec_epochs", "Decoder passes", "",
         "Passes per epoch that update only the decoder, after the refresh (reference: 1)",
         "Optimization", K::Int, 0, 100, false, 1, {}, 0},
        {"learning_rate", "Learning rate", "η",
         "Step size of both Adam optimizers (reference: 5e-4)", "Optimization", K::Real, 1e-7, 1,
         true, 5e-4, {}, 0},
        {"batch_size", "Batch size", "", "Users per update (reference: 500)", "Optimization",
         K::Int, 1, 1000000, true, 500, {}, 0},
    };
}

template <class F>
void forRows(std::int64_t n, std::int64_t grain, const F& f) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, grain), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r) f(r);
    });
}

// --- swish -----------------------------------------------------------------------------------

// out = x σ(x) over n values; sig receives σ(x) for the backward pass. σ comes from the
// vectorized exp of the kernels (inputs clamped to [-87, 88], so no overflow), in chunks whose
// values do not depend on where a chunk starts.
void swishForward(const float* x, float* out, float* sig, std::int64_t n) {
    constexpr std::int64_t kChunk = 4096;
    forRows((n + kChunk - 1) / kChunk, 1, [&](std::int64_t c) {
        const std::int64_t i0 = c * kChunk, i1 = std::min(n, i0 + kChunk);
        for (std::int64_t i = i0; i < i1; ++i) sig[i] = -x[i];
        kernels::expShiftSum(sig + i0, i1 - i0, 0.0f);
        for (std::int64_t i = i0; i < i1; ++i) {
            sig[i] = 1.0f / (1.0f + sig[i]);
            out[i] = x[i] * sig[i];
        }
    });
}

// d *= swish'(x) = σ(x) (1 + x (1 - σ(x))), x being the swish's input.
void swishBackward(const float* x, const float* sig, float* d, std::int64_t n) {
    forRows(n, 1 << 14, [&](std::int64_t i) { d[i] *= sig[i] * (1.0f + x[i] * (1.0f - sig[i])); });
}

// --- LayerNorm -------------------------------------------------------------------------------

// Σ_{j<n} term(j) in a fixed order, in 8 float lanes the compiler keeps in a vector register.
template <class F>
double laneSum(std::int64_t n, const F& term) {
    float lanes[8] = {};
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += term(j + l);
    double total = 0;
    for (float v : lanes) total += v;
    for (; j < n; ++j) total += term(j);
    return total;
}

// PyTorch's LayerNorm over rows of width H: y = x̂ · gain + bias, x̂ = (x - mean) / sqrt(var + ε)
// with the biased variance. x̂ and rstd = 1 / sqrt(var + ε) per row are kept for the backward.
void layerNormForward(const float* x, std::int64_t B, std::int64_t H, const float* gain,
                      const float* bias, float eps, float* y, float* xhat, float* rstd) {
    forRows(B, 8, [&](std::int64_t r) {
        const float* xr = x + r * H;
        const auto mean = static_cast<float>(
            laneSum(H, [&](std::int64_t j) { return xr[j]; }) / static_cast<double>(H));
        const double var = laneSum(H, [&](std::int64_t j) {
            return (xr[j] - mean) * (xr[j] - mean);
        }) / static_cast<double>(H);
        const auto rs = static_cast<float>(1.0 / std::sqrt(var + eps));
        rstd[r] = rs;
        for (std::int64_t j = 0; j < H; ++j) {
            const float xh = (xr[j] - mean) * rs;
            xhat[r * H + j] = xh;
            y[r * H + j] = xh * gain[j] + bias[j];
        }
    });
}

// Given dy = dL/dy: dGain = Σ_rows dy x̂, dBias = Σ_rows dy (fixed order), and
// dx = rstd (g - mean(g) - x̂ mean(g x̂)) with g = dy · gain. dx may be dy (in place).
void layerNormBackward(const float* dy, const float* xhat, const float* rstd, const float* gain,
                       std::int64_t B, std::int64_t H, float* dx, float* dGain, float* dBias,
                       std::vector<float>& scratch) {
    scratch.resize(static_cast<std::size_t>(B * H));
    forRows(B * H, 1 << 14, [&](std::int64_t i) { scratch[i] = dy[i] * xhat[i]; });
    nn::colSum(scratch.data(), B, H, dGain);
    nn::colSum(dy, B, H, dBias);
    forRows(B, 8, [&](std::int64_t r) {
        const float* d = dy + r * H;
        const float* xh = xhat + r * H;
        const auto m1 = static_cast<float>(
            laneSum(H, [&](std::int64_t j) { return d[j] * gain[j]; }) / static_cast<double>(H));
        const auto m2 = static_cast<float>(
            laneSum(H, [&](std::int64_t j) { return d[j] * gain[j] * xh[j]; }) /
            static_cast<double>(H));
        for (std::int64_t j = 0; j < H; ++j)
            dx[r * H + j] = rstd[r] * (d[j] * gain[j] - m1 - xh[j] * m2);
    });
}

// --- composite prior -------------------------------------------------------------------------

class CompositePrior {
public:
    // weights: N(0, 1), old posterior, wide N(0, e^wideLogVar); normalized here.
    void set(const double weights[3], double wideLogVar) {
        const double total = weights[0] + weights[1] + weights[2];
        m_logW1 = std::log(weights[1] / total);
        m_c0 = std::log(weights[0] / total) - 0.5 * kLog2Pi;
        m_c2 = std::log(weights[2] / total) - 0.5 * (wideLogVar + kLog2Pi);
        m_invWideVar = std::exp(-wideLogVar);
    }

    // log p(z) for one coordinate: the log-sum-exp of the three weighted log-densities;
    // *dz (when not null) = d log p / dz = Σ_k responsibility_k · d log N_k / dz, the old
    // posterior being a constant. A zero weight gives a -inf term and a zero responsibility.
    double logDensity(double z, double oldMu, double oldLogVar, double* dz) const {
        const double oldInvVar = std::exp(-oldLogVar);
        const double dOld = z - oldMu;
        const double c[3] = {m_c0 - 0.5 * z * z,
                             m_logW1 - 0.5 * (oldLogVar + kLog2Pi + dOld * dOld * oldInvVar),
                             m_c2 - 0.5 * z * z * m_invWideVar};
        const double mx = std::max({c[0], c[1], c[2]});
        const double e[3] = {std::exp(c[0] - mx), std::exp(c[1] - mx), std::exp(c[2] - mx)};
        const double sum = e[0] + e[1] + e[2];
        if (dz) *dz = -(e[0] * z + e[1] * dOld * oldInvVar + e[2] * z * m_invWideVar) / sum;
        return mx + std::log(sum);
    }

private:
    double m_logW1 = 0, m_c0 = 0, m_c2 = 0, m_invWideVar = 0;
};

// --- the network -----------------------------------------------------------------------------

// PyTorch's default Linear init: weights and biases uniform in ±1/sqrt(fan-in).
void initLinear(nn::Dense& l, Rng& rng) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(l.in));
    for (auto& w : l.W) w = static_cast<float>((rng.uniform() * 2.0 - 1.0) * bound);
    for (auto& b : l.b) b = static_cast<float>((rng.uniform() * 2.0 - 1.0) * bound);
}

// The encoder's tensors. ln[k] keeps the LayerNorm gain in W (1 x H) and its bias in b, so
// that nn::Adam updates them like any layer.
struct Encoder {
    nn::Dense fc[kDepth], ln[kDepth], mu, logVar;

    void allocate(const std::string& prefix, std::int64_t items, std::int64_t H, std::int64_t K,
                  bool trainable) {
        for (int k = 0; k < kDepth; ++k) {
            fc[k].name = prefix + ".fc" + std::to_string(k + 1);
            fc[k].allocate(k == 0 ? items : H, H);
            ln[k].name = prefix + ".ln" + std::to_string(k + 1);
            ln[k].allocate(1, H);
        }
        mu.name = prefix + ".mu";
        mu.allocate(H, K);
        logVar.name = prefix + ".logvar";
        logVar.allocate(H, K);
        if (!trainable)  // the frozen copy keeps no gradients or moments
            for (nn::Dense* l : layers()) l->gW = l->mW = l->vW = l->gb = l->mb = l->vb = {};
    }
    void init(Rng& rng) {
        for (int k = 0; k < kDepth; ++k) {
            initLinear(fc[k], rng);
            std::fill(ln[k].W.begin(), ln[k].W.end(), 1.0f);
            std::fill(ln[k].b.begin(), ln[k].b.end(), 0.0f);
        }
        initLinear(mu, rng);
        initLinear(logVar, rng);
    }
    std::vector<nn::Dense*> layers() {
        std::vector<nn::Dense*> v;
        for (int k = 0; k < kDepth; ++k) v.push_back(&fc[k]);
        for (int k = 0; k < kDepth; ++k) v.push_back(&ln[k]);
        v.push_back(&mu);
        v.push_back(&logVar);
        return v;
    }
};

// Where a training step finds the old encoder's posterior.
enum class OldPosterior { Compute, Encoder, Cached };

bool isNorm(const nn::Dense& l) { return l.name.find(".ln") != std::string::npos; }
std::string weightName(const nn::Dense& l) { return l.name + (isNorm(l) ? ".gain" : ".W"); }
std::string biasName(const nn::Dense& l) { return l.name + (isNorm(l) ? ".bias" : ".b"); }

// Activations of one encoder forward pass.
struct EncoderPass {
    std::vector<float> pre[kDepth];   // input of each swish
    std::vector<float> sig[kDepth];   // σ(pre)
    std::vector<float> xhat[kDepth];  // normalized swish output
    std::vector<float> rstd[kDepth];  // per row
    std::vector<float> h[kDepth];     // layer outputs
    std::vector<float> mu, logVar;
};

}  // namespace

const ModelInfo& recVaeInfo() {
    static const ModelInfo info{"recvae", "RecVAE", "Shenbin et al., WSDM 2020",
                                "VAE with a dense-residual encoder, a composite prior with the "
                                "previous encoder, and alternating encoder / decoder training",
                                ModelFamily::UserAutoencoder, recVaeSpecs()};
    return info;
}

struct RecVae::Impl {
    std::int64_t hidden = 600;
    int latent = 200;
    float dropout = 0.5f;
    float lnEps = 0.1f;
    double gamma = 0.005, constBeta = 0;
    CompositePrior prior;
    bool alternating = true;
    int encPasses = 3, decPasses = 1;
    std::int64_t batchSize = 500;
    nn::Adam encAdam, decAdam;
    Encoder enc, old;
    nn::Dense dec;
    std::int64_t encSteps = 0, decSteps = 0, updates = 0;
    std::uint64_t seed = 0;
    std::vector<std::int32_t> touched;   // items with a non-zero fc1 gradient row
    std::vector<std::int32_t> readRows;  // items the current batch reads from fc1
    // The old posterior of every training user (users x latent), refreshed at the start of an
    // epoch's encoder passes: the old encoder is frozen and reads undropped rows through all
    // of them, so one forward pass serves them all.
    std::vector<float> oldMu, oldLogVar;

    // Activations and gradients of a training batch.
    struct Pass {
        nn::SparseBatch batch;   // input of the encoder (dropped out while training)
        nn::SparseBatch clean;   // input of the old encoder (no dropout) when it differs
        EncoderPass e, o;        // the encoder's and the old encoder's activations
        std::vector<float> eps, z, logits;
        std::vector<float> act, sum;  // scratch: swish outputs, residual sums
        // Gradients of the backward pass, kept to reuse their memory from batch to batch.
        std::vector<float> dz, dMu, dLv, dh, dPrev, residual;
    };
    // The buffers of training, kept from epoch to epoch (fresh pages cost more than reuse).
    Pass work;

    // The encoder on `batch`: activations into a (μ, log σ² last). keep = false (no backward
    // pass to follow) reuses one set of buffers for all layers.
    void encoderForward(const Encoder& E, const nn::SparseBatch& batch, EncoderPass& a, Pass& p,
                        bool keep) const {
        const std::int64_t B = batch.rows, H = hidden, n = B * H;
        p.act.resize(static_cast<std::size_t>(n));
        p.sum.assign(static_cast<std::size_t>(n), 0.0f);
        const float* hPrev = nullptr;
        for (int k = 0; k < kDepth; ++k) {
            const int slot = keep ? k : 0;
            auto& pre = a.pre[slot];
            auto& h = a.h[keep ? k : k % 2];
            pre.resize(static_cast<std::size_t>(n));
            if (k == 0) {
                nn::sparseForward(batch, E.fc[0], pre.data());
            } else {
                nn::denseForward(hPrev, B, E.fc[k], pre.data());
                // Dense residual: h1 + … + h_{k-1} enters the activation.
                forRows(n, 1 << 14, [&](std::int64_t i) {
                    p.sum[i] += hPrev[i];
                    pre[i] += p.sum[i];
                });
            }
            a.sig[slot].resize(static_cast<std::size_t>(n));
            swishForward(pre.data(), p.act.data(), a.sig[slot].data(), n);
            a.xhat[slot].resize(static_cast<std::size_t>(n));
            a.rstd[slot].resize(static_cast<std::size_t>(B));
            h.resize(static_cast<std::size_t>(n));
            layerNormForward(p.act.data(), B, H, E.ln[k].W.data(), E.ln[k].b.data(), lnEps,
                             h.data(), a.xhat[slot].data(), a.rstd[slot].data());
            hPrev = h.data();
        }
        a.mu.resize(static_cast<std::size_t>(B * latent));
        a.logVar.resize(a.mu.size());
        nn::denseForward(hPrev, B, E.mu, a.mu.data());
        nn::denseForward(hPrev, B, E.logVar, a.logVar.data());
    }

    // Gradients of the encoder's tensors (into its gW/gb) from dL/dμ and dL/d log σ².
    void encoderBackward(Pass& p) {
        const EncoderPass& a = p.e;
        const std::int64_t B = p.batch.rows, H = hidden, K = latent, n = B * H;
        const std::vector<float>& dMu = p.dMu;
        const std::vector<float>& dLv = p.dLv;
        std::vector<float>& dh = p.dh;
        std::vector<float>& dPrev = p.dPrev;
        std::vector<float>& residual = p.residual;
        dh.resize(static_cast<std::size_t>(n));
        dPrev.resize(dh.size());
        residual.assign(dh.size(), 0.0f);
        const float* h5 = a.h[kDepth - 1].data();
        nn::denseBackward(h5, dMu.data(), B, enc.mu, dh.data());
        nn::denseBackward(h5, dLv.data(), B, enc.logVar, nullptr);
        kernels::sgemm(false, true, B, H, K, 1.0f, dLv.data(), K, enc.logVar.W.data(), K, 1.0f,
                       dh.data(), H);
        for (int k = kDepth - 1; k >= 0; --k) {
            // dh = dL/dh_k → dL/d(swish output) → dL/d pre_k.
            layerNormBackward(dh.data(), a.xhat[k].data(), a.rstd[k].data(), enc.ln[k].W.data(),
                              B, H, dh.data(), enc.ln[k].gW.data(), enc.ln[k].gb.data(), p.act);
            swishBackward(a.pre[k].data(), a.sig[k].data(), dh.data(), n);
            if (k == 0) {
                nn::sparseBackward(p.batch, dh.data(), enc.fc[0], touched);
                break;
            }
            nn::denseBackward(a.h[k - 1].data(), dh.data(), B, enc.fc[k], dPrev.data());
            // h_{k-1} also enters pre_k … pre_5 directly: dL/dh_{k-1} = dpre_k W_kᵀ + Σ dpre_j.
            forRows(n, 1 << 14, [&](std::int64_t i) {
                residual[i] += dh[i];
                dPrev[i] += residual[i];
            });
            std::swap(dh, dPrev);
        }
    }

    // Forward pass and loss of p.batch. The old posterior (p.o.mu, p.o.logVar) is computed by
    // the old encoder on p.clean (p.batch when p.clean is empty), or is the encoder's own, or
    // was filled in by the caller. Gradients of the encoder (encGrad) and of the decoder
    // (decGrad) go into the layers' gW/gb.
    LossTerms forwardLoss(Pass& p, bool sample, std::uint64_t noiseSeed, OldPosterior source,
                          bool encGrad, bool decGrad) {
        const std::int64_t B = p.batch.rows, K = latent, N = dec.out;
        encoderForward(enc, p.batch, p.e, p, encGrad);
        if (source == OldPosterior::Compute)
            encoderForward(old, p.clean.rows > 0 ? p.clean : p.batch, p.o, p, false);
        const EncoderPass* oldPost = source == OldPosterior::Encoder ? &p.e : &p.o;
        p.z.resize(static_cast<std::size_t>(B * K));
        p.eps.assign(p.z.size(), 0.0f);
        forRows(B, 32, [&](std::int64_t r) {
            Rng rng(mixSeed(noiseSeed, static_cast<std::uint64_t>(r), kEpsTag));
            for (std::int64_t d = 0; d < K; ++d) {
                const std::int64_t i = r * K + d;
                if (sample) p.eps[i] = static_cast<float>(rng.normal());
                p.z[i] = sample ? p.e.mu[i] + p.eps[i] * std::exp(0.5f * p.e.logVar[i]) : p.e.mu[i];
            }
        });
        p.logits.resize(static_cast<std::size_t>(B * N));
        nn::denseForward(p.z.data(), B, dec, p.logits.data());

        // Multinomial NLL per row; with a gradient the logits become (n_u softmax - x_u) / B.
        const bool grad = encGrad || decGrad;
        const float invB = 1.0f / static_cast<float>(B);
        std::vector<double> nll(static_cast<std::size_t>(B)), kl(nll.size()), weight(nll.size());
        forRows(B, 4, [&](std::int64_t r) {
            float* l = p.logits.data() + r * N;
            double dot = 0;
            for (std::int64_t k = p.batch.ptr[r]; k < p.batch.ptr[r + 1]; ++k)
                dot += static_cast<double>(p.batch.raw[k]) * l[p.batch.idx[k]];
            const float mx = kernels::rowMax(l, N);
            const double s = kernels::expShiftSum(l, N, mx);
            const double n = p.batch.count[r];
            nll[r] = n * (mx + std::log(s)) - dot;
            if (!grad) return;
            kernels::scale(l, N, static_cast<float>(n / s) * invB);
            for (std::int64_t k = p.batch.ptr[r]; k < p.batch.ptr[r + 1]; ++k)
                l[p.batch.idx[k]] -= p.batch.raw[k] * invB;
        });
        std::vector<float>& dz = p.dz;
        std::vector<float>& dMu = p.dMu;
        std::vector<float>& dLv = p.dLv;
        if (encGrad) dz.resize(p.z.size());
        if (decGrad)
            nn::denseBackward(p.z.data(), p.logits.data(), B, dec, encGrad ? dz.data() : nullptr);
        else if (encGrad)
            kernels::sgemm(false, true, B, K, N, 1.0f, p.logits.data(), N, dec.W.data(), N, 0.0f,
                           dz.data(), K);

        // KL_u = Σ_d log q(z_d|x) - log p(z_d), weighted by β_u; its gradient reaches μ and
        // log σ² directly and through z (z = μ + ε σ, or z = μ).
        if (encGrad) {
            dMu.resize(p.z.size());
            dLv.resize(p.z.size());
        }
        forRows(B, 8, [&](std::int64_t r) {
            const double w = constBeta > 0 ? constBeta : gamma * p.batch.count[r];
            weight[r] = w;
            const double scale = w / static_cast<double>(B);
            double sum = 0;
            for (std::int64_t d = 0; d < K; ++d) {
                const std::int64_t i = r * K + d;
                const double z = p.z[i], mu = p.e.mu[i], lv = p.e.logVar[i];
                const double invVar = std::exp(-lv);
                double dLogP = 0;
                const double logP = prior.logDensity(z, oldPost->mu[i], oldPost->logVar[i],
                                                     encGrad ? &dLogP : nullptr);
                const double logQ = -0.5 * (lv + kLog2Pi + (z - mu) * (z - mu) * invVar);
                sum += logQ - logP;
                if (!encGrad) continue;
                const double dKlDz = -(z - mu) * invVar - dLogP;
                const double dzTotal = dz[i] + scale * dKlDz;
                dMu[i] = static_cast<float>(dzTotal + scale * (z - mu) * invVar);
                dLv[i] = static_cast<float>(
                    (sample ? dzTotal * 0.5 * p.eps[i] * std::exp(0.5 * lv) : 0.0) +
                    scale * (-0.5 + 0.5 * (z - mu) * (z - mu) * invVar));
            }
            kl[r] = sum;
        });
        if (encGrad) encoderBackward(p);

        LossTerms t;
        double weighted = 0;
        for (std::int64_t r = 0; r < B; ++r) {
            t.recon += nll[r];
            t.kl += kl[r];
            t.beta += weight[r];
            weighted += weight[r] * kl[r];
        }
        t.recon /= static_cast<double>(B);
        t.kl /= static_cast<double>(B);
        t.beta /= static_cast<double>(B);
        t.loss = t.recon + weighted / static_cast<double>(B);
        return t;
    }

    // The old encoder's posterior of every row of `train` into oldMu / oldLogVar, in fixed
    // batches of rows in index order (so a resumed model computes the same values).
    void cacheOldPosterior(const CsrMatrix& train, Pass& p) {
        const std::int64_t K = latent;
        oldMu.resize(static_cast<std::size_t>(train.rows * K));
        oldLogVar.resize(oldMu.size());
        for (std::int64_t begin = 0; begin < train.rows; begin += batchSize) {
            const std::int64_t end = std::min(train.rows, begin + batchSize);
            p.batch = nn::makeBatch(train, nullptr, begin, end, 0.0f, 0);
            encoderForward(old, p.batch, p.o, p, false);
            std::copy(p.o.mu.begin(), p.o.mu.end(), oldMu.begin() + begin * K);
            std::copy(p.o.logVar.begin(), p.o.logVar.end(), oldLogVar.begin() + begin * K);
        }
    }

    // The old encoder becomes a copy of the encoder (the reference's update_prior).
    void updatePrior() {
        encAdam.catchUp(enc.fc[0], nullptr, encSteps, 0.0f);
        const auto from = enc.layers(), to = old.layers();
        for (std::size_t k = 0; k < from.size(); ++k) {
            to[k]->W = from[k]->W;
            to[k]->b = from[k]->b;
        }
    }

    std::vector<nn::Dense*> trainable() {
        std::vector<nn::Dense*> v = enc.layers();
        v.push_back(&dec);
        return v;
    }
    std::vector<nn::Dense*> all() {
        std::vector<nn::Dense*> v = trainable();
        for (nn::Dense* l : old.layers()) v.push_back(l);
        return v;
    }
};

RecVae::RecVae(const Config& config) : m_impl(std::make_unique<Impl>()) {
    m_config = validateConfig(info().params, config, info().id);
    auto& im = *m_impl;
    im.hidden = m_config["hidden_dim"].get<std::int64_t>();
    im.latent = m_config["latent_dim"].get<int>();
    im.lnEps = m_config["layer_norm_eps"].get<float>();
    im.dropout = m_config["dropout"].get<float>();
    im.gamma = m_config["gamma"].get<double>();
    im.constBeta = m_config["beta"].get<double>();
    const double w[3] = {m_config["weight_standard"].get<double>(),
                         m_config["weight_old"].get<double>(),
                         m_config["weight_wide"].get<double>()};
    if (!(w[0] + w[1] + w[2] > 0))
        fail(info().id + ": the prior weights weight_standard, weight_old and weight_wide are "
                         "all 0; at least one must be positive");
    im.prior.set(w, m_config["wide_logvar"].get<double>());
    im.alternating = m_config["alternating"].get<bool>();
    im.encPasses = m_config["n_enc_epochs"].get<int>();
    im.decPasses = m_config["n_dec_epochs"].get<int>();
    if (im.alternating && im.encPasses + im.decPasses == 0)
        fail(info().id + ": n_enc_epochs and n_dec_epochs are both 0, so an epoch would train "
                         "nothing");
    im.batchSize = m_config["batch_size"].get<std::int64_t>();
    im.encAdam.lr = im.decAdam.lr = m_config["learning_rate"].get<float>();
}

RecVae::~RecVae() = default;

const ModelInfo& RecVae::info() const { return recVaeInfo(); }
int RecVae::defaultEpochs() const { return 50; }
int RecVae::latentDim() const { return m_impl->latent; }
std::int64_t RecVae::encoderSteps() const { return m_impl->encSteps; }
std::int64_t RecVae::decoderSteps() const { return m_impl->decSteps; }

double RecVae::logPrior(double z, double oldMu, double oldLogVar) const {
    return m_impl->prior.logDensity(z, oldMu, oldLogVar, nullptr);
}

void RecVae::initialize(const CsrMatrix& train, std::uint64_t seed) {
    if (train.cols <= 0)
        fail("cannot initialize " + info().id + ": the training matrix has no items");
    auto& im = *m_impl;
    checkMemory(info().id, memoryEstimate(train.rows, train.cols, train.nnz()),
                "lower hidden_dim, latent_dim or batch_size");
    m_numItems = train.cols;
    m_numUsers = train.rows;
    im.seed = seed;
    im.encSteps = im.decSteps = im.updates = 0;
    im.touched.clear();
    Rng rng(mixSeed(seed, kInitTag));
    im.enc.allocate("encoder", m_numItems, im.hidden, im.latent, true);
    im.enc.init(rng);
    im.enc.fc[0].rowStep.assign(static_cast<std::size_t>(m_numItems), 0);
    im.dec.name = "decoder";
    im.dec.allocate(im.latent, m_numItems);
    initLinear(im.dec, rng);
    // Like the reference's CompositePrior, the old encoder starts from its own initialization.
    im.old.allocate("old_encoder", m_numItems, im.hidden, im.latent, false);
    im.old.init(rng);
}

EpochStats RecVae::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                              std::stop_token stop) {
    if (!initialized()) fail("train " + info().id + ": the model is not initialized");
    if (train.cols != m_numItems)
        fail("train " + info().id + ": the matrix has " + std::to_string(train.cols) +
             " items, the model " + std::to_string(m_numItems));
    auto& im = *m_impl;
    const std::int64_t N = train.rows;
    const std::int64_t perPass = (N + im.batchSize - 1) / im.batchSize;
    const int passes = im.alternating ? im.encPasses + im.decPasses : 1;
    EpochStats stats;
    const std::int64_t total = passes * perPass;
    std::vector<std::int64_t> order(static_cast<std::size_t>(N));
    Impl::Pass& p = im.work;
    std::int64_t done = 0;
    // Several encoder passes share one old posterior per user; a decoder pass follows the
    // refresh, so the old encoder is the encoder and reads the same undropped rows.
    const bool cached = im.alternating && im.encPasses >= 2;
    for (int pass = 0; pass <= passes && !stats.stopped; ++pass) {
        if (im.alternating && pass == im.encPasses) im.updatePrior();
        if (pass == passes) break;
        const bool encoderPass = !im.alternating || pass < im.encPasses;
        const bool decoderPass = !im.alternating || pass >= im.encPasses;
        const float dropout = encoderPass ? im.dropout : 0.0f;
        const OldPosterior source = !encoderPass ? OldPosterior::Encoder
                                    : cached     ? OldPosterior::Cached
                                                 : OldPosterior::Compute;
        if (cached && pass == 0) im.cacheOldPosterior(train, p);
        std::iota(order.begin(), order.end(), 0);
        Rng shuffle(mixSeed(im.seed, kShuffleTag, static_cast<std::uint64_t>(epoch),
                            static_cast<std::uint64_t>(pass)));
        for (std::int64_t i = N - 1; i > 0; --i)
            std::swap(order[i], order[shuffle.below(static_cast<std::uint64_t>(i + 1))]);
        for (std::int64_t b = 0; b < perPass; ++b, ++done) {
            if (stop.stop_requested()) {
                stats.stopped = true;
                break;
            }
            const std::int64_t begin = b * im.batchSize, end = std::min(N, begin + im.batchSize);
            const std::uint64_t noise =
                mixSeed(im.seed, kNoiseTag, static_cast<std::uint64_t>(epoch),
                        (static_cast<std::uint64_t>(pass) << 40) + static_cast<std::uint64_t>(b));
            p.batch = nn::makeBatch(train, order.data(), begin, end, dropout, noise);
            p.clean = source == OldPosterior::Compute && dropout > 0
                          ? nn::makeBatch(train, order.data(), begin, end, 0.0f, 0)
                          : nn::SparseBatch{};
            if (source == OldPosterior::Cached) {
                const std::int64_t K = im.latent;
                p.o.mu.resize(static_cast<std::size_t>((end - begin) * K));
                p.o.logVar.resize(p.o.mu.size());
                for (std::int64_t r = begin; r < end; ++r) {
                    const std::int64_t from = order[r] * K, to = (r - begin) * K;
                    std::copy_n(im.oldMu.begin() + from, K, p.o.mu.begin() + to);
                    std::copy_n(im.oldLogVar.begin() + from, K, p.o.logVar.begin() + to);
                }
            }
            if (encoderPass) {
                // fc1 rows this batch reads must be current before the forward (lazy Adam).
                im.readRows.clear();
                for (std::size_t k = 0; k < p.batch.idx.size(); ++k)
                    if (p.batch.input[k] != 0.0f) im.readRows.push_back(p.batch.idx[k]);
                std::sort(im.readRows.begin(), im.readRows.end());
                im.readRows.erase(std::unique(im.readRows.begin(), im.readRows.end()),
                                  im.readRows.end());
                im.encAdam.catchUp(im.enc.fc[0], &im.readRows, im.encSteps, 0.0f);
            }
            const LossTerms t = im.forwardLoss(p, true, noise, source, encoderPass, decoderPass);
            if (encoderPass) {
                ++im.encSteps;
                for (nn::Dense* l : im.enc.layers()) {
                    if (l == &im.enc.fc[0])
                        im.encAdam.stepLazy(*l, im.touched, im.encSteps, 0.0f);
                    else
                        im.encAdam.step(*l, im.encSteps, 0.0f);
                }
            }
            if (decoderPass) im.decAdam.step(im.dec, ++im.decSteps, 0.0f);
            ++im.updates;
            stats.mean.loss += t.loss;
            stats.mean.recon += t.recon;
            stats.mean.kl += t.kl;
            stats.mean.beta += t.beta;
            ++stats.batches;
            if (onBatch) onBatch({epoch, done, total, im.updates, t});
        }
    }
    if (stats.batches > 0) {
        const double n = static_cast<double>(stats.batches);
        stats.mean.loss /= n;
        stats.mean.recon /= n;
        stats.mean.kl /= n;
        stats.mean.beta /= n;
    }
    // Outside trainEpoch every fc1 row is current (scoring, state() and copies read them).
    im.encAdam.catchUp(im.enc.fc[0], nullptr, im.encSteps, 0.0f);
    stats.updates = im.updates;
    return stats;
}

void RecVae::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                   float* out) const {
    if (!initialized()) fail("score " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("score " + info().id + ": the rows have " + std::to_string(rows.cols) +
             " items, the model " + std::to_string(m_numItems));
    Impl::Pass p;
    p.batch = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    m_impl->encoderForward(m_impl->enc, p.batch, p.e, p, false);
    nn::denseForward(p.e.mu.data(), p.batch.rows, m_impl->dec, out);
}

void RecVae::encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                    float* logVar) const {
    if (!initialized()) fail("encode " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("encode " + info().id + ": the rows have " + std::to_string(rows.cols) +
             " items, the model " + std::to_string(m_numItems));
    Impl::Pass p;
    p.batch = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    m_impl->encoderForward(m_impl->enc, p.batch, p.e, p, false);
    std::copy(p.e.mu.begin(), p.e.mu.end(), mu);
    if (logVar) std::copy(p.e.logVar.begin(), p.e.logVar.end(), logVar);
}

void RecVae::decode(const float* z, std::int64_t n, float* out) const {
    if (!initialized()) fail("decode " + info().id + ": the model is not trained");
    if (n < 0) fail("decode: negative point count " + std::to_string(n));
    if (n == 0) return;
    if (!z || !out) fail("decode: null latent points or output buffer");
    nn::denseForward(z, n, m_impl->dec, out);
}

Tensor RecVae::itemEmbeddings() const {
    if (!initialized()) return {};
    const nn::Dense& d = m_impl->dec;  // latent x items
    Tensor t{d.out, d.in, std::vector<float>(d.W.size())};
    for (std::int64_t k = 0; k < d.in; ++k)
        for (std::int64_t i = 0; i < d.out; ++i) t.data[i * d.in + k] = d.W[k * d.out + i];
    return t;
}

double RecVae::memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t) const {
    // Trainable tensors with gradients and two Adam moments (16 bytes each), the old encoder
    // (4 bytes), a batch's logits and encoder activations (current and old), and the cached
    // old posterior of every user.
    const auto& im = *m_impl;
    const double I = static_cast<double>(items), H = static_cast<double>(im.hidden),
                 K = static_cast<double>(im.latent), B = static_cast<double>(im.batchSize);
    const double encoder =
        (I + 1) * H + (kDepth - 1) * (H + 1) * H + kDepth * 2 * H + 2 * (H + 1) * K;
    const double decoder = (K + 1) * I;
    const double batch = B * I + 2 * (5 * kDepth + 2) * B * H + 8 * B * K;
    const double cache =
        im.alternating && im.encPasses >= 2 ? 2 * static_cast<double>(users) * K : 0;
    return 16.0 * (encoder + decoder) + 4.0 * (encoder + batch + cache);
}

TensorMap RecVae::parameters() const {
    TensorMap m;
    for (const nn::Dense* l : m_impl->all()) {
        m[weightName(*l)] = nn::toTensor(l->W, l->in, l->out);
        m[biasName(*l)] = nn::toTensor(l->b, 1, l->out);
    }
    return m;
}

TensorMap RecVae::state() const {
    auto& im = *m_impl;
    TensorMap m = parameters();
    for (nn::Dense* l : im.trainable()) {
        m[weightName(*l) + ".m"] = nn::toTensor(l->mW, l->in, l->out);
        m[weightName(*l) + ".v"] = nn::toTensor(l->vW, l->in, l->out);
        m[biasName(*l) + ".m"] = nn::toTensor(l->mb, 1, l->out);
        m[biasName(*l) + ".v"] = nn::toTensor(l->vb, 1, l->out);
    }
    // Exact integers in float: counters split into 24-bit halves.
    m["updates"] = Tensor{1, 2, std::vector<float>(2)};
    splitCounter24(static_cast<std::uint64_t>(im.updates), m["updates"].data.data(), 2);
    m["adam_steps"] = Tensor{1, 4, std::vector<float>(4)};
    splitCounter24(static_cast<std::uint64_t>(im.encSteps), m["adam_steps"].data.data(), 2);
    splitCounter24(static_cast<std::uint64_t>(im.decSteps), m["adam_steps"].data.data() + 2, 2);
    return m;
}

void RecVae::setState(const TensorMap& state) {
    if (!initialized()) fail("set state of " + info().id + ": initialize the model first");
    auto& im = *m_impl;
    const bool full = state.count("updates") > 0;
    for (nn::Dense* l : im.all()) {
        l->W = requireTensor(state, weightName(*l), l->in, l->out).data;
        l->b = requireTensor(state, biasName(*l), 1, l->out).data;
    }
    if (!full) return;
    for (nn::Dense* l : im.trainable()) {
        l->mW = requireTensor(state, weightName(*l) + ".m", l->in, l->out).data;
        l->vW = requireTensor(state, weightName(*l) + ".v", l->in, l->out).data;
        l->mb = requireTensor(state, biasName(*l) + ".m", 1, l->out).data;
        l->vb = requireTensor(state, biasName(*l) + ".v", 1, l->out).data;
    }
    auto join = [](const float* v, const char* tensor) {
        return static_cast<std::int64_t>(joinCounter24(v, 2, tensor));
    };
    im.updates = join(requireTensor(state, "updates", 1, 2).data.data(), "updates");
    const auto& steps = requireTensor(state, "adam_steps", 1, 4).data;
    im.encSteps = join(steps.data(), "adam_steps");
    im.decSteps = join(steps.data() + 2, "adam_steps");
    // A saved state has every fc1 row current (trainEpoch ends with a catch-up).
    std::fill(im.enc.fc[0].rowStep.begin(), im.enc.fc[0].rowStep.end(), im.encSteps);
}

std::vector<float>& RecVae::parameter(const std::string& name) {
    for (nn::Dense* l : m_impl->all()) {
        if (name == weightName(*l)) return l->W;
        if (name == biasName(*l)) return l->b;
    }
    fail("no parameter '" + name + "' in " + info().id);
}

LossTerms RecVae::batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                            std::uint64_t noiseSeed, bool training, double,
                            TensorMap* gradient) const {
    if (!initialized()) fail("batch loss of " + info().id + ": the model is not initialized");
    if (end <= begin) fail("batch loss of " + info().id + ": the batch is empty");
    // forwardLoss writes gradients into the layers' gW/gb, scratch space of training; the
    // parameters stay untouched, so this test hook is const for the caller.
    auto& im = *m_impl;
    Impl::Pass p;
    const float dropout = training ? im.dropout : 0.0f;
    p.batch = nn::makeBatch(rows, nullptr, begin, end, dropout, noiseSeed);
    if (dropout > 0) p.clean = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    const bool grad = gradient != nullptr;
    const LossTerms t = im.forwardLoss(p, training, noiseSeed, OldPosterior::Compute, grad, grad);
    if (gradient) {
        gradient->clear();
        for (const nn::Dense* l : im.trainable()) {
            (*gradient)[weightName(*l)] = nn::toTensor(l->gW, l->in, l->out);
            (*gradient)[biasName(*l)] = nn::toTensor(l->gb, 1, l->out);
        }
    }
    return t;
}

}  // namespace vaecf::core
