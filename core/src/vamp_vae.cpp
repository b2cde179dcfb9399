// SPDX-License-Identifier: MIT
// The VampPrior family (see vamp_vae.h), after psywaves/EVCF models/{Vamp,HVamp,HVamp_1layer}.py.
// Gradients below are those of the batch loss L = mean_u[−log p(x_u|z) + β (log q − log p)],
// written network by network in reverse. Naming: z is the latent that carries the VampPrior
// (Vamp's z, H+Vamp's z2); z1 is H+Vamp's lower latent.
#include "vaecf/vamp_vae.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "kernels/kernels.h"
#include "nn.h"
#include "vaecf/error.h"

namespace vaecf::core {

namespace {

using Vec = std::vector<float>;

constexpr float kLogVarMin = -12.0f, kLogVarMax = 4.0f;     // EVCF's hardtanh on log σ²
constexpr float kProbMin = 1e-5f, kProbMax = 1.0f - 1e-5f;  // EVCF's clamp in log_Bernoulli
constexpr float kAdamBeta1 = 0.9f, kAdamBeta2 = 0.999f, kAdamEps = 1e-8f;
constexpr float kNormGradEps = 1e-7f;
// Tags of the random streams.
constexpr std::uint64_t kTagInit = 0x1417, kTagShuffle = 0x5FF1E, kTagBatch = 0xBA7C4,
                        kTagEps = 0xE95, kTagEps1 = 0xE951, kTagDrop1 = 0xD201,
                        kTagPseudoDrop = 0x95D0;

ParamSpecs vampSpecs(VampVariant variant) {
    const bool hier = variant != VampVariant::Vamp;
    ParamSpecs s;
    s.push_back({"hidden_size", "Hidden size", "H", "Width of every hidden layer (EVCF: 600)",
                 "Architecture", ParamKind::Int, 1, 65536, true, 600, {}, 0});
    s.push_back({"num_layers", "Hidden layers", "L",
                 hier ? "Hidden layers of each network; 1 uses EVCF's HVamp_1layer wiring (EVCF "
                        "README command: 2)"
                      : "Hidden layers of the encoder and of the decoder (EVCF default: 1)",
                 "Architecture", ParamKind::Int, 1, 8, false, hier ? 2 : 1, {}, 0});
    if (hier) {
        s.push_back({"z1_size", "z1 size", "K₁", "Dimension of the lower latent z1 (EVCF: 200)",
                     "Architecture", ParamKind::Int, 1, 4096, false, 200, {}, 0});
        s.push_back({"z2_size", "z2 size", "K₂",
                     "Dimension of the top latent z2, which has the VampPrior (EVCF: 200)",
                     "Architecture", ParamKind::Int, 1, 4096, false, 200, {}, 0});
    } else {
        s.push_back({"latent_dim", "Latent size", "K", "Dimension of the latent z (EVCF: 200)",
                     "Architecture", ParamKind::Int, 1, 4096, false, 200, {}, 0});
    }
    s.push_back({"gated", "Gated layers", "",
                 "Every hidden layer becomes (W x + b) ⊙ σ(V x + c) instead of tanh (EVCF "
                 "--gated; on in H+Vamp (Gated))",
                 "Architecture", ParamKind::Bool, 0, 0, false,
                 variant == VampVariant::HVampGated, {}, 0});
    s.push_back({"likelihood", "Likelihood", "",
                 "multinomial: log-softmax over items; bernoulli: sigmoid per item, summed over "
                 "all items (EVCF's published command uses bernoulli)",
                 "Likelihood", ParamKind::Choice, 0, 0, false, "multinomial",
                 {"multinomial", "bernoulli"}, 0});
    s.push_back({"pseudo_inputs", "Pseudo-inputs", "C",
                 "Number of learned pseudo-inputs of the VampPrior mixture (EVCF: 1000)", "Prior",
                 ParamKind::Int, 1, 5000, true, 1000, {}, 0});
    s.push_back({"pseudo_dropout", "Dropout on pseudo-inputs", "",
                 "Pass the pseudo-inputs through the encoder's input dropout while training, as "
                 "EVCF does (its q(z|x) network starts with the dropout)",
                 "Prior", ParamKind::Bool, 0, 0, false, true, {}, 0});
    s.push_back({"dropout", "Input dropout", "p",
                 "Dropout rate on the L2-normalized input row while training (EVCF: 0.5)",
                 "Regularization", ParamKind::Real, 0, 0.95, false, 0.5, {}, 0});
    s.push_back({"beta_schedule", "β schedule", "β",
                 "warmup: β = max_beta · epoch / warmup_epochs, capped (EVCF); anneal: β = "
                 "min(max_beta, updates / total_anneal_steps) (Liang); constant: β = max_beta",
                 "Annealing", ParamKind::Choice, 0, 0, false, "warmup",
                 {"warmup", "anneal", "constant"}, 0});
    s.push_back({"max_beta", "β cap", "β_max",
                 "Largest KL weight (EVCF default: 1.0; its README's Netflix command: 0.3)",
                 "Annealing", ParamKind::Real, 0, 10, false, 1.0, {}, 0});
    s.push_back({"warmup_epochs", "Warm-up epochs", "",
                 hier ? "Epochs over which β rises linearly to max_beta (EVCF: 100; 0: max_beta "
                        "at once). Shorter warm-ups can collapse the posterior (KL near 0, "
                        "popularity-level ranking): 25 did on synthetic ML-1M"
                      : "Epochs over which β rises linearly to max_beta (EVCF: 100; 0: max_beta "
                        "at once)",
                 "Annealing", ParamKind::Int, 0, 100000, false, 100, {}, 0});
    s.push_back({"total_anneal_steps", "Annealing steps", "",
                 "anneal schedule: updates over which β would reach 1 (Liang: 200000)",
                 "Annealing", ParamKind::Int, 1, 1e9, true, 200000, {}, 0});
    s.push_back({"optimizer", "Optimizer", "",
                 "adam_norm_grad: each tensor's gradient divided by its L2 norm before Adam "
                 "(EVCF's AdamNormGrad); adam: plain Adam",
                 "Optimization", ParamKind::Choice, 0, 0, false, "adam_norm_grad",
                 {"adam_norm_grad", "adam"}, 0});
    s.push_back({"learning_rate", "Learning rate", "η", "Adam step size (EVCF: 5e-4)",
                 "Optimization", ParamKind::Real, 1e-7, 1, true, 5e-4, {}, 0});
    s.push_back({"batch_size", "Batch size", "", "Users per update (EVCF: 200)", "Optimization",
                 ParamKind::Int, 1, 1000000, true, 200, {}, 0});
    return s;
}

template <class F>
void forRows(std::int64_t n, std::int64_t grain, const F& f) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, grain), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r) f(r);
    });
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// EVCF's he_init: every Linear weight ~ N(0, 2 / fan_in), whatever follows it (tanh, gate,
// head or output); biases keep PyTorch's default U(±1/√fan_in).
void initHe(nn::Dense& l, Rng& rng) {
    const double sd = std::sqrt(2.0 / static_cast<double>(l.in));
    const double bound = 1.0 / std::sqrt(static_cast<double>(l.in));
    for (auto& w : l.W) w = static_cast<float>(sd * rng.normal());
    for (auto& b : l.b) b = static_cast<float>((rng.uniform() * 2.0 - 1.0) * bound);
}

void setShape(nn::Dense& l, const std::string& name, std::int64_t in, std::int64_t out) {
    l.name = name;
    l.in = in;
    l.out = out;
}

// [a | b] row by row (n rows of na and nb columns).
void concat(const float* a, std::int64_t na, const float* b, std::int64_t nb, std::int64_t n,
            Vec& out) {
    out.resize(static_cast<std::size_t>(n * (na + nb)));
    for (std::int64_t r = 0; r < n; ++r) {
        std::copy_n(a + r * na, na, out.data() + r * (na + nb));
        std::copy_n(b + r * nb, nb, out.data() + r * (na + nb) + na);
    }
}

// acc += the columns [from, from + k) of d (n rows of `width` columns).
void addColumns(const float* d, std::int64_t width, std::int64_t from, std::int64_t k,
                std::int64_t n, float* acc) {
    for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t j = 0; j < k; ++j) acc[r * k + j] += d[r * width + from + j];
}

void addInto(Vec& acc, const Vec& d) {
    for (std::size_t k = 0; k < acc.size(); ++k) acc[k] += d[k];
}

// Columns [from, from + k) of d into a contiguous n x k buffer.
void columns(const float* d, std::int64_t width, std::int64_t from, std::int64_t k,
             std::int64_t n, Vec& out) {
    out.resize(static_cast<std::size_t>(n * k));
    for (std::int64_t r = 0; r < n; ++r) std::copy_n(d + r * width + from, k, out.data() + r * k);
}

// ---- Hidden layers ---------------------------------------------------------------------------

// EVCF's hidden "NonLinear" layer: tanh(x W + b), or gated (x W + b) ⊙ σ(x V + c) with no tanh.
// A gated layer keeps W and V side by side in one Dense of 2H outputs ([W | V], [b | c]) so one
// product (sparse, dense or the pseudo-input sgemm) computes both halves; AdamNormGrad still
// normalizes the halves as the separate tensors they are in the reference.
struct Block {
    nn::Dense lin;
    bool gated = false;
    std::int64_t width() const { return gated ? lin.out / 2 : lin.out; }
};

struct BlockOut {
    Vec pre;  // gated only: [x W + b | σ(x V + c)]
    Vec out;  // n x H
};

void shapeBlock(Block& b, const std::string& name, std::int64_t in, std::int64_t H, bool gated) {
    b.gated = gated;
    setShape(b.lin, name, in, gated ? 2 * H : H);
}

// Where the block's linear part (n x lin.out) goes: the output itself for tanh.
float* linearBuffer(const Block& b, std::int64_t n, BlockOut& o) {
    Vec& v = b.gated ? o.pre : o.out;
    v.resize(static_cast<std::size_t>(n * b.lin.out));
    return v.data();
}

void activate(const Block& b, std::int64_t n, BlockOut& o) {
    if (!b.gated) {
        nn::tanhInPlace(o.out.data(), n * b.lin.out);
        return;
    }
    const std::int64_t H = b.width();
    o.out.resize(static_cast<std::size_t>(n * H));
    forRows(n, 16, [&](std::int64_t r) {
        float* a = o.pre.data() + r * 2 * H;
        float* g = a + H;
        float* h = o.out.data() + r * H;
        for (std::int64_t j = 0; j < H; ++j) {
            g[j] = sigmoid(g[j]);
            h[j] = a[j] * g[j];
        }
    });
}

void blockForward(const Block& b, const float* x, std::int64_t n, BlockOut& o) {
    nn::denseForward(x, n, b.lin, linearBuffer(b, n, o));
    activate(b, n, o);
}

void sparseBlockForward(const Block& b, const nn::SparseBatch& x, BlockOut& o) {
    nn::sparseForward(x, b.lin, linearBuffer(b, x.rows, o));
    activate(b, x.rows, o);
}

// dOut = dL/d(block output) (n x H) into dPre = dL/d(linear part) (n x lin.out).
void blockGrad(const Block& b, const BlockOut& o, const float* dOut, std::int64_t n, Vec& dPre) {
    dPre.resize(static_cast<std::size_t>(n * b.lin.out));
    if (!b.gated) {
        std::copy_n(dOut, n * b.lin.out, dPre.data());
        nn::tanhBackward(o.out.data(), dPre.data(), n * b.lin.out);
        return;
    }
    const std::int64_t H = b.width();
    forRows(n, 16, [&](std::int64_t r) {
        const float* a = o.pre.data() + r * 2 * H;
        const float* g = a + H;
        const float* d = dOut + r * H;
        float* da = dPre.data() + r * 2 * H;
        float* dg = da + H;
        for (std::int64_t j = 0; j < H; ++j) {
            da[j] = d[j] * g[j];
            dg[j] = d[j] * a[j] * g[j] * (1.0f - g[j]);
        }
    });
}

using Chain = std::vector<Block>;

// Blocks [from, end) of a chain, block `from` reading x; outs[j] = output of block j.
void chainForward(const Chain& c, const float* x, std::int64_t n, std::vector<BlockOut>& outs,
                  std::size_t from = 0) {
    outs.resize(c.size());
    for (std::size_t j = from; j < c.size(); ++j)
        blockForward(c[j], j == from ? x : outs[j - 1].out.data(), n, outs[j]);
}

// d = dL/d(output of the last block) on entry, dL/d(linear part of block 0) on return; the
// blocks after the first get their parameter gradients (block 0's input is the caller's).
void chainBackward(Chain& c, const std::vector<BlockOut>& outs, std::int64_t n, Vec& d) {
    Vec pre, dx;
    for (std::size_t j = c.size(); j-- > 0;) {
        blockGrad(c[j], outs[j], d.data(), n, pre);
        if (j == 0) break;
        dx.resize(static_cast<std::size_t>(n * c[j].lin.in));
        nn::denseBackward(outs[j - 1].out.data(), pre.data(), n, c[j].lin, dx.data());
        d.swap(dx);
    }
    d.swap(pre);
}

// ---- Gaussian heads and densities ------------------------------------------------------------

// μ = Linear(h), log σ² = hardtanh(Linear(h), −12, 4): two tensors, never gated.
struct Head {
    nn::Dense mu, lv;
};

struct HeadOut {
    Vec mu, lv;  // lv clipped
};

void shapeHead(Head& h, const std::string& prefix, std::int64_t H, std::int64_t K) {
    setShape(h.mu, prefix + ".mu", H, K);
    setShape(h.lv, prefix + ".lv", H, K);
}

void headForward(const Head& h, const float* x, std::int64_t n, HeadOut& o) {
    o.mu.resize(static_cast<std::size_t>(n * h.mu.out));
    o.lv.resize(o.mu.size());
    nn::denseForward(x, n, h.mu, o.mu.data());
    nn::denseForward(x, n, h.lv, o.lv.data());
    for (float& v : o.lv) v = std::clamp(v, kLogVarMin, kLogVarMax);
}

// dMu, dLv: dL/dμ and dL/d(clipped log σ²); the clip passes no gradient at or beyond its
// bounds (PyTorch's hardtanh), so dLv is zeroed there. dx (n x in) = dL/dx.
void headBackward(Head& h, const float* x, const HeadOut& o, std::int64_t n, Vec& dMu, Vec& dLv,
                  float* dx) {
    for (std::size_t k = 0; k < dLv.size(); ++k)
        if (!(o.lv[k] > kLogVarMin && o.lv[k] < kLogVarMax)) dLv[k] = 0.0f;
    nn::denseBackward(x, dMu.data(), n, h.mu, dx);
    nn::denseBackward(x, dLv.data(), n, h.lv, nullptr);
    kernels::sgemm(false, true, n, h.lv.in, h.lv.out, 1.0f, dLv.data(), h.lv.out, h.lv.W.data(),
                   h.lv.out, 1.0f, dx, h.lv.in);
}

// out[r] = Σ_d −½(lv + (z − μ)² e^{−lv}) (EVCF's log_Normal_diag; the 2π constant cancels in
// the KL). With dz, the gradient of s · Σ_r out[r] is added to dz, dMu and dLv.
void logNormal(const float* z, const float* mu, const float* lv, std::int64_t n, std::int64_t K,
               double* out, float s, float* dz, float* dMu, float* dLv) {
    forRows(n, 16, [&](std::int64_t r) {
        double sum = 0;
        for (std::int64_t d = r * K; d < (r + 1) * K; ++d) {
            const float diff = z[d] - mu[d], prec = std::exp(-lv[d]);
            const float q = diff * diff * prec;
            sum += -0.5 * (static_cast<double>(lv[d]) + q);
            if (!dz) continue;
            const float t = s * diff * prec;
            dz[d] -= t;
            dMu[d] += t;
            dLv[d] += s * (-0.5f + 0.5f * q);
        }
        out[r] = sum;
    });
}

// z = μ + ε σ for the first n rows of h (ε ~ N(0, 1) from the row's stream), or z = μ.
void sample(const HeadOut& h, std::int64_t n, std::int64_t K, bool training, std::uint64_t noise,
            std::uint64_t tag, Vec& eps, Vec& z) {
    eps.assign(static_cast<std::size_t>(n * K), 0.0f);
    z.assign(h.mu.begin(), h.mu.begin() + n * K);
    if (!training) return;
    forRows(n, 16, [&](std::int64_t r) {
        Rng rng(mixSeed(noise, static_cast<std::uint64_t>(r), tag));
        for (std::int64_t d = r * K; d < (r + 1) * K; ++d) {
            eps[d] = static_cast<float>(rng.normal());
            z[d] = h.mu[d] + eps[d] * std::exp(0.5f * h.lv[d]);
        }
    });
}

// Through z = μ + ε σ: dμ += dz, dlog σ² += dz ε σ / 2 (the first dz.size() entries).
void reparamBackward(const Vec& dz, const Vec& eps, const HeadOut& h, float* dMu, float* dLv) {
    for (std::size_t d = 0; d < dz.size(); ++d) {
        dMu[d] += dz[d];
        if (eps[d] != 0.0f) dLv[d] += dz[d] * eps[d] * 0.5f * std::exp(0.5f * h.lv[d]);
    }
}

// ---- The VampPrior mixture -------------------------------------------------------------------

// log p(z_b) = logsumexp_c a_bc with a_bc = Σ_d −½(lv_cd + (z_bd − μ_cd)² P_cd) − log C and
// P = e^{−lv}. The B x C x K sum is two products in one: Σ_d (z − μ)² P = [z² | z] · [P | −2μP]ᵀ
// + Σ_d μ² P, so the mixture costs one sgemm forward and two backward.
struct Mixture {
    std::int64_t B = 0, C = 0, K = 0;
    Vec zc;    // B x 2K: [z² | z]
    Vec mc;    // C x 2K: [P | −2 μ P]
    Vec resp;  // B x C: the responsibilities softmax_c(a_bc)
    std::vector<double> logp;
};

void mixtureForward(Mixture& m, const float* z, std::int64_t B, const float* mu, const float* lv,
                    std::int64_t C, std::int64_t K) {
    m.B = B;
    m.C = C;
    m.K = K;
    m.zc.resize(static_cast<std::size_t>(B * 2 * K));
    m.mc.resize(static_cast<std::size_t>(C * 2 * K));
    std::vector<float> kc(static_cast<std::size_t>(C));
    forRows(B, 64, [&](std::int64_t r) {
        for (std::int64_t d = 0; d < K; ++d) {
            const float v = z[r * K + d];
            m.zc[r * 2 * K + d] = v * v;
            m.zc[r * 2 * K + K + d] = v;
        }
    });
    forRows(C, 64, [&](std::int64_t c) {
        double k = 0;
        for (std::int64_t d = 0; d < K; ++d) {
            const float p = std::exp(-lv[c * K + d]), u = mu[c * K + d];
            m.mc[c * 2 * K + d] = p;
            m.mc[c * 2 * K + K + d] = -2.0f * u * p;
            k += static_cast<double>(lv[c * K + d]) + static_cast<double>(u) * u * p;
        }
        kc[c] = static_cast<float>(k);
    });
    m.resp.resize(static_cast<std::size_t>(B * C));
    kernels::sgemm(false, true, B, C, 2 * K, 1.0f, m.zc.data(), 2 * K, m.mc.data(), 2 * K, 0.0f,
                   m.resp.data(), C);
    m.logp.resize(static_cast<std::size_t>(B));
    const float logC = static_cast<float>(std::log(static_cast<double>(C)));
    forRows(B, 4, [&](std::int64_t r) {
        float* a = m.resp.data() + r * C;
        for (std::int64_t c = 0; c < C; ++c) a[c] = -0.5f * (a[c] + kc[c]) - logC;
        const float mx = kernels::rowMax(a, C);
        const double sum = kernels::expShiftSum(a, C, mx);
        m.logp[r] = mx + std::log(sum);
        kernels::scale(a, C, static_cast<float>(1.0 / sum));
    });
}

// Adds the gradient of s · Σ_b log p(z_b) to dz (B x K), dMu and dLv (C x K).
void mixtureBackward(const Mixture& m, float s, const float* mu, float* dz, float* dMu,
                     float* dLv) {
    const std::int64_t B = m.B, C = m.C, K = m.K;
    Vec G(m.resp.size());
    for (std::size_t k = 0; k < G.size(); ++k) G[k] = s * m.resp[k];
    // dz = Σ_c G_bc (−(z − μ_c) P_c) = −z (G P) − ½ G (−2 μ P).
    Vec T(static_cast<std::size_t>(B * 2 * K));
    kernels::sgemm(false, false, B, 2 * K, C, 1.0f, G.data(), C, m.mc.data(), 2 * K, 0.0f,
                   T.data(), 2 * K);
    forRows(B, 64, [&](std::int64_t r) {
        const float* t = T.data() + r * 2 * K;
        for (std::int64_t d = 0; d < K; ++d)
            dz[r * K + d] += -m.zc[r * 2 * K + K + d] * t[d] - 0.5f * t[K + d];
    });
    // S = Gᵀ [z² | z]; dμ_c = P (S₂ − μ g_c), dlv_c = −½ g_c + ½ P (S₁ − 2 μ S₂ + μ² g_c).
    Vec S(static_cast<std::size_t>(C * 2 * K)), g(static_cast<std::size_t>(C));
    kernels::sgemm(true, false, C, 2 * K, B, 1.0f, G.data(), C, m.zc.data(), 2 * K, 0.0f,
                   S.data(), 2 * K);
    nn::colSum(G.data(), B, C, g.data());
    forRows(C, 64, [&](std::int64_t c) {
        for (std::int64_t d = 0; d < K; ++d) {
            const float p = m.mc[c * 2 * K + d], u = mu[c * K + d];
            const float s1 = S[c * 2 * K + d], s2 = S[c * 2 * K + K + d];
            dMu[c * K + d] += p * (s2 - u * g[c]);
            dLv[c * K + d] += -0.5f * g[c] + 0.5f * p * (s1 - 2.0f * u * s2 + u * u * g[c]);
        }
    });
}

// ---- Pseudo-inputs and the input layer --------------------------------------------------------

// The C learned pseudo-inputs w (C x I; EVCF's bias-free Linear fed the identity), used as
// u = hardtanh(w, 0, 1), with their gradient and Adam moments.
struct Pseudo {
    std::int64_t C = 0, I = 0;
    Vec w, g, m, v;
};

// U = clip(w, 0, 1), dropped out (survivors scaled by 1 / keep) when dropout > 0.
void pseudoInputs(const Pseudo& p, float dropout, std::uint64_t noise, Vec& U) {
    U.resize(p.w.size());
    const float keep = 1.0f - dropout;
    forRows(p.C, 1, [&](std::int64_t c) {
        Rng rng(mixSeed(noise, static_cast<std::uint64_t>(c), kTagPseudoDrop));
        for (std::int64_t i = c * p.I; i < (c + 1) * p.I; ++i) {
            float u = std::clamp(p.w[i], 0.0f, 1.0f);
            if (dropout > 0.0f) u = rng.uniformFloat() < keep ? u / keep : 0.0f;
            U[i] = u;
        }
    });
}

// Gradient of w from dU = dL/dU (in p.g): through the dropout (×1/keep where kept, 0 where
// dropped) and the clip (0 at or beyond 0 and 1).
void pseudoBackward(Pseudo& p, const Vec& U, float dropout) {
    const float inv = 1.0f / (1.0f - dropout);
    forRows(p.C, 1, [&](std::int64_t c) {
        for (std::int64_t i = c * p.I; i < (c + 1) * p.I; ++i) {
            const bool inside = p.w[i] > 0.0f && p.w[i] < 1.0f;
            p.g[i] = inside && U[i] != 0.0f ? p.g[i] * inv : 0.0f;
        }
    });
}

// Rows of u (C x I) as a batch of users, without normalization or dropout: how the encoder
// sees the pseudo-inputs, for pseudoInputLatents().
nn::SparseBatch denseRows(const Vec& U, std::int64_t C, std::int64_t I) {
    nn::SparseBatch s;
    s.rows = C;
    s.ptr.assign(static_cast<std::size_t>(C) + 1, 0);
    s.count.assign(static_cast<std::size_t>(C), 0.0f);
    for (std::int64_t c = 0; c < C; ++c) {
        for (std::int64_t i = 0; i < I; ++i) {
            const float u = U[c * I + i];
            if (u == 0.0f) continue;
            s.idx.push_back(static_cast<std::int32_t>(i));
            s.input.push_back(u);
            s.raw.push_back(u);
            s.count[c] += u;
        }
        s.ptr[c + 1] = static_cast<std::int64_t>(s.idx.size());
    }
    return s;
}

// Gradient of a layer whose first rows read the items: the users' sparse rows (rows [0, B) of
// d) and, when C > 0, the dense pseudo-input rows U (C x I, rows [B, B + C) of d). With dU,
// also dU = d_C Wᵀ (C x I).
void inputBackward(nn::Dense& l, const nn::SparseBatch& x, const float* U, std::int64_t C,
                   const float* d, float* dU) {
    const std::int64_t B = x.rows, O = l.out, I = l.in;
    if (dU) kernels::sgemm(false, true, C, I, O, 1.0f, d + B * O, O, l.W.data(), O, 0.0f, dU, I);
    std::fill(l.gW.begin(), l.gW.end(), 0.0f);
    std::vector<std::int32_t> none;  // gW is all zero: nothing to clear first
    nn::sparseBackward(x, d, l, none);
    if (C > 0)
        kernels::sgemm(true, false, I, O, C, 1.0f, U, I, d + B * O, O, 1.0f, l.gW.data(), O);
    nn::colSum(d, B + C, O, l.gb.data());
}

// Gradient of H+Vamp's one-layer q(z1 | x, z2) input, which reads [x | z2]: rows [0, I) of W
// from the sparse x, rows [I, I + K) from y = z2 (B x K); dy = d W[I:]ᵀ.
void mixedBackward(nn::Dense& l, const nn::SparseBatch& x, const float* y, std::int64_t K,
                   const float* d, float* dy) {
    const std::int64_t B = x.rows, O = l.out, I = l.in - K;
    const float* Wy = l.W.data() + I * O;
    kernels::sgemm(false, true, B, K, O, 1.0f, d, O, Wy, O, 0.0f, dy, K);
    std::fill(l.gW.begin(), l.gW.begin() + I * O, 0.0f);
    std::vector<std::int32_t> none;
    nn::sparseBackward(x, d, l, none);
    kernels::sgemm(true, false, K, O, B, 1.0f, y, K, d, O, 0.0f, l.gW.data() + I * O, O);
}

// ---- AdamNormGrad ----------------------------------------------------------------------------

// Σ a² over a rows x cols block with row stride ld, summed in a fixed order.
double sumSquares(const float* a, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
    std::vector<double> part(static_cast<std::size_t>(rows));
    forRows(rows, 16, [&](std::int64_t r) {
        double s = 0;
        for (const float* x = a + r * ld; x < a + r * ld + cols; ++x)
            s += static_cast<double>(*x) * *x;
        part[r] = s;
    });
    double s = 0;
    for (double p : part) s += p;
    return s;
}

// g ← g / (‖g‖₂ + 1e-7) over a block, in float as PyTorch divides.
void normalizeBlock(float* a, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
    const float denom = static_cast<float>(std::sqrt(sumSquares(a, rows, cols, ld))) + kNormGradEps;
    forRows(rows, 16, [&](std::int64_t r) {
        for (std::int64_t j = 0; j < cols; ++j) a[r * ld + j] /= denom;
    });
}

// A rows x cols gradient: one tensor, or (gated layers) the two tensors of its column halves.
void normalizeGradient(Vec& g, std::int64_t rows, std::int64_t cols, bool gated) {
    if (!gated) return normalizeBlock(g.data(), rows, cols, cols);
    normalizeBlock(g.data(), rows, cols / 2, cols);
    normalizeBlock(g.data() + cols / 2, rows, cols / 2, cols);
}

// The reference optimizer adds ε to √v and scales by √(1 − β2^t) / (1 − β1^t); kernels::adamStep
// adds ε to √v / √(1 − β2^t). Passing ε / √(1 − β2^t) makes the two the same update.
float referenceEps(std::int64_t t) {
    return static_cast<float>(kAdamEps / std::sqrt(1.0 - std::pow(static_cast<double>(kAdamBeta2),
                                                                   static_cast<double>(t))));
}

}  // namespace

const ModelInfo& vampInfo() {
    static const ModelInfo info{"vamp", "VampPrior VAE", "Kim & Suh, RecSys 2019",
                                "VAE whose prior is a mixture of the posteriors of learned "
                                "pseudo-inputs (VampPrior)",
                                ModelFamily::UserAutoencoder, vampSpecs(VampVariant::Vamp)};
    return info;
}

const ModelInfo& hvampInfo() {
    static const ModelInfo info{"hvamp", "H+Vamp", "Kim & Suh, RecSys 2019",
                                "Two-level hierarchical VAE (z1 | z2) with a VampPrior on the top "
                                "latent",
                                ModelFamily::UserAutoencoder, vampSpecs(VampVariant::HVamp)};
    return info;
}

const ModelInfo& hvampGatedInfo() {
    static const ModelInfo info{"hvamp-gated", "H+Vamp (Gated)", "Kim & Suh, RecSys 2019",
                                "H+Vamp with gated linear units as hidden layers",
                                ModelFamily::UserAutoencoder, vampSpecs(VampVariant::HVampGated)};
    return info;
}

struct VampVae::Impl {
    enum class Schedule { Warmup, Anneal, Constant };

    bool hier = false, gated = false, bernoulli = false, normGrad = true, pseudoDropout = true;
    int layers = 1;
    std::int64_t H = 600, K = 200, K1 = 0, C = 1000, batchSize = 200;  // K: z (Vamp) or z2
    float dropout = 0.5f, lr = 5e-4f;
    Schedule schedule = Schedule::Warmup;
    double maxBeta = 1.0, annealSteps = 200000;
    int warmup = 100;

    // q(z|x) (H+Vamp: q(z2|x)), the network the pseudo-inputs go through; enc[0] reads items.
    Chain enc;
    Head encHead;
    // H+Vamp: q(z1|x,z2) (x and z2 branches when L >= 2; with L = 1 q1[0] reads [x | z2]),
    // p(z1|z2), and the z1 / z2 branches of p(x|z1,z2) (L >= 2).
    Block q1x, q1z;
    Chain q1;
    Head q1Head;
    Chain pz1;
    Head pz1Head;
    Block pxz1, pxz2;
    // Decoder trunk (Vamp: from z; H+Vamp: the joint part) and the output layer.
    Chain dec;
    nn::Dense out;
    Pseudo pseudo;
    std::int64_t updates = 0;
    std::uint64_t seed = 0;

    // Activations of one pass.
    struct Pass {
        nn::SparseBatch x, x1;  // x1: q(z1|x,z2)'s own dropout mask (H+Vamp, training)
        const nn::SparseBatch* xq1 = nullptr;
        std::int64_t B = 0, C = 0;  // C: pseudo-input rows stacked under the users in enc
        Vec U;
        std::vector<BlockOut> enc;
        HeadOut encH;
        Vec eps, z;
        BlockOut q1x, q1z;
        Vec q1in;
        std::vector<BlockOut> q1;
        HeadOut q1H;
        Vec eps1, z1;
        std::vector<BlockOut> pz1;
        HeadOut pz1H;
        BlockOut pxz1, pxz2;
        Vec decIn;
        std::vector<BlockOut> dec;
        Vec logits;
        Mixture prior;
    };

    void configure(const Config& c, VampVariant variant) {
        hier = variant != VampVariant::Vamp;
        H = c["hidden_size"].get<std::int64_t>();
        layers = c["num_layers"].get<int>();
        if (hier) {
            K1 = c["z1_size"].get<std::int64_t>();
            K = c["z2_size"].get<std::int64_t>();
        } else {
            K = c["latent_dim"].get<std::int64_t>();
        }
        gated = c["gated"].get<bool>();
        bernoulli = c["likelihood"].get<std::string>() == "bernoulli";
        C = c["pseudo_inputs"].get<std::int64_t>();
        pseudoDropout = c["pseudo_dropout"].get<bool>();
        dropout = c["dropout"].get<float>();
        const std::string sch = c["beta_schedule"].get<std::string>();
        schedule = sch == "anneal" ? Schedule::Anneal : sch == "constant" ? Schedule::Constant
                                                                           : Schedule::Warmup;
        maxBeta = c["max_beta"].get<double>();
        warmup = c["warmup_epochs"].get<int>();
        annealSteps = c["total_anneal_steps"].get<double>();
        normGrad = c["optimizer"].get<std::string>() == "adam_norm_grad";
        lr = c["learning_rate"].get<float>();
        batchSize = c["batch_size"].get<std::int64_t>();
    }

    bool branches() const { return hier && layers >= 2; }
    std::int64_t numItems() const { return out.out; }
    std::int64_t latent() const { return K + K1; }

    // Names and shapes of every layer for I items; nothing allocated.
    void build(std::int64_t I) {
        auto chain = [&](Chain& c, const std::string& prefix, std::int64_t in, int n) {
            c.assign(static_cast<std::size_t>(n), {});
            for (int j = 0; j < n; ++j)
                shapeBlock(c[j], prefix + "." + std::to_string(j), j == 0 ? in : H, H, gated);
        };
        const std::string q = hier ? "qz2" : "qz";
        chain(enc, q, I, layers);
        shapeHead(encHead, q, H, K);
        if (hier) {
            if (branches()) {
                shapeBlock(q1x, "qz1.x", I, H, gated);
                shapeBlock(q1z, "qz1.z2", K, H, gated);
                chain(q1, "qz1", 2 * H, layers - 1);
            } else {
                chain(q1, "qz1", I + K, 1);
            }
            shapeHead(q1Head, "qz1", H, K1);
            chain(pz1, "pz1", K, layers);
            shapeHead(pz1Head, "pz1", H, K1);
            if (branches()) {
                shapeBlock(pxz1, "px.z1", K1, H, gated);
                shapeBlock(pxz2, "px.z2", K, H, gated);
                chain(dec, "px", 2 * H, layers - 1);
            } else {
                chain(dec, "px", K1 + K, 1);
            }
        } else {
            chain(dec, "px", K, layers);
        }
        setShape(out, "px.out", H, I);
        pseudo.C = C;
        pseudo.I = I;
    }

    // Every dense layer in a fixed order, with whether it is a gated [W | V] pair.
    template <class F>
    void forEachLayer(F&& f) {
        auto chain = [&](Chain& c) {
            for (Block& b : c) f(b.lin, b.gated);
        };
        auto head = [&](Head& h) {
            f(h.mu, false);
            f(h.lv, false);
        };
        chain(enc);
        head(encHead);
        if (hier) {
            if (branches()) {
                f(q1x.lin, q1x.gated);
                f(q1z.lin, q1z.gated);
            }
            chain(q1);
            head(q1Head);
            chain(pz1);
            head(pz1Head);
            if (branches()) {
                f(pxz1.lin, pxz1.gated);
                f(pxz2.lin, pxz2.gated);
            }
        }
        chain(dec);
        f(out, false);
    }
    template <class F>
    void forEachLayer(F&& f) const {
        const_cast<Impl*>(this)->forEachLayer(
            [&](nn::Dense& l, bool g) { f(static_cast<const nn::Dense&>(l), g); });
    }

    double betaAt(int epoch) const {
        switch (schedule) {
        case Schedule::Anneal:
            return std::min(maxBeta, static_cast<double>(updates) / annealSteps);
        case Schedule::Constant:
            return maxBeta;
        case Schedule::Warmup:
            break;
        }
        if (warmup == 0) return maxBeta;
        return std::min(maxBeta, maxBeta * epoch / warmup);
    }

    // ---- Forward ----

    // The encoders on p.x (and, with withPrior, the pseudo-inputs stacked under the users in
    // q(z|·)), then z (and z1) sampled when training or set to the means.
    void encodeForward(Pass& p, bool training, std::uint64_t noise, bool withPrior) const {
        const std::int64_t B = p.x.rows, I = numItems();
        p.B = B;
        p.C = withPrior ? C : 0;
        const std::int64_t R = B + p.C;
        p.enc.resize(enc.size());
        float* first = linearBuffer(enc[0], R, p.enc[0]);
        nn::sparseForward(p.x, enc[0].lin, first);
        if (p.C > 0) {
            pseudoInputs(pseudo, training && pseudoDropout ? dropout : 0.0f, noise, p.U);
            nn::denseForward(p.U.data(), p.C, enc[0].lin, first + B * enc[0].lin.out);
        }
        activate(enc[0], R, p.enc[0]);
        chainForward(enc, p.enc[0].out.data(), R, p.enc, 1);
        headForward(encHead, p.enc.back().out.data(), R, p.encH);
        sample(p.encH, B, K, training, noise, kTagEps, p.eps, p.z);
        if (!hier) return;
        const nn::SparseBatch& x1 = p.xq1 ? *p.xq1 : p.x;
        p.q1.resize(q1.size());
        if (branches()) {
            sparseBlockForward(q1x, x1, p.q1x);
            blockForward(q1z, p.z.data(), B, p.q1z);
            concat(p.q1x.out.data(), H, p.q1z.out.data(), H, B, p.q1in);
            chainForward(q1, p.q1in.data(), B, p.q1);
        } else {
            const nn::Dense& l = q1[0].lin;
            float* o = linearBuffer(q1[0], B, p.q1[0]);
            nn::sparseForward(x1, l, o);
            kernels::sgemm(false, false, B, l.out, K, 1.0f, p.z.data(), K, l.W.data() + I * l.out,
                           l.out, 1.0f, o, l.out);
            activate(q1[0], B, p.q1[0]);
            chainForward(q1, p.q1[0].out.data(), B, p.q1, 1);
        }
        headForward(q1Head, p.q1.back().out.data(), B, p.q1H);
        sample(p.q1H, B, K1, training, noise, kTagEps1, p.eps1, p.z1);
    }

    // p(x | z) (H+Vamp: p(x | z1, z2)) on p.z (and p.z1) into p.logits.
    void decodeForward(Pass& p) const {
        const std::int64_t B = p.B;
        const float* in = p.z.data();
        if (branches()) {
            blockForward(pxz1, p.z1.data(), B, p.pxz1);
            blockForward(pxz2, p.z.data(), B, p.pxz2);
            concat(p.pxz1.out.data(), H, p.pxz2.out.data(), H, B, p.decIn);
            in = p.decIn.data();
        } else if (hier) {
            concat(p.z1.data(), K1, p.z.data(), K, B, p.decIn);
            in = p.decIn.data();
        }
        chainForward(dec, in, B, p.dec);
        p.logits.resize(static_cast<std::size_t>(B * numItems()));
        nn::denseForward(p.dec.back().out.data(), B, out, p.logits.data());
    }

    // ---- Loss ----

    // −log p(x_r | ·) per row into nll; with grad, the logits become scale · dNLL/dlogits.
    void likelihood(Pass& p, bool grad, float scale, std::vector<double>& nll) const {
        const std::int64_t I = numItems();
        const nn::SparseBatch& x = p.x;
        forRows(p.B, 4, [&](std::int64_t r) {
            float* l = p.logits.data() + r * I;
            const std::int64_t k0 = x.ptr[r], k1 = x.ptr[r + 1];
            if (!bernoulli) {
                double dot = 0;
                for (std::int64_t k = k0; k < k1; ++k)
                    dot += static_cast<double>(x.raw[k]) * l[x.idx[k]];
                const float mx = kernels::rowMax(l, I);
                const double sum = kernels::expShiftSum(l, I, mx);
                const double n = x.count[r];
                nll[r] = n * (mx + std::log(sum)) - dot;
                if (!grad) return;
                kernels::scale(l, I, static_cast<float>(n * scale / sum));
                for (std::int64_t k = k0; k < k1; ++k) l[x.idx[k]] -= scale * x.raw[k];
                return;
            }
            // Σ_i x log p + (1 − x) log(1 − p) over all items, p = σ(l) clamped to
            // [1e-5, 1 − 1e-5] as EVCF does. The clamp passes no gradient outside, so items the
            // model is that sure about stop learning (the reference's behaviour). Each item's
            // term is taken once (walking the row's sorted items), so log(1 − p) is never
            // added and taken back for a positive item near p = 1, where it is imprecise.
            double ll = 0;
            std::int64_t k = k0;
            for (std::int64_t i = 0; i < I; ++i) {
                const double pr = 1.0 / (1.0 + std::exp(-static_cast<double>(l[i])));
                const double pc = std::clamp(pr, static_cast<double>(kProbMin),
                                             static_cast<double>(kProbMax));
                double xi = 0;
                if (k < k1 && x.idx[k] == i) xi = x.raw[k++];
                ll += xi * std::log(pc) + (1.0 - xi) * std::log1p(-pc);
                if (grad) l[i] = pc == pr ? scale * static_cast<float>(pr - xi) : 0.0f;
            }
            nll[r] = -ll;
        });
    }

    // Loss of a pass made with withPrior (the logits are overwritten) and, with grad, every
    // parameter gradient in the layers' gW / gb and pseudo.g.
    LossTerms lossAndBackward(Pass& p, double beta, bool grad, float pseudoDrop) {
        const std::int64_t B = p.B, R = B + p.C;
        const float invB = 1.0f / static_cast<float>(B);
        const float s = static_cast<float>(beta) * invB;
        LossTerms t;
        t.beta = beta;
        std::vector<double> nll(static_cast<std::size_t>(B)), lq(nll.size()), lq1(nll.size(), 0.0),
            lp1(nll.size(), 0.0);
        likelihood(p, grad, invB, nll);

        // KL = log q(z|x) [+ log q(z1|x,z2) − log p(z1|z2)] − log p(z), each term's gradient
        // (weight ±β/B) collected on the way.
        Vec dz, dMu, dLv, dz1, dMu1, dLv1, dMuP, dLvP;
        if (grad) {
            dz.assign(static_cast<std::size_t>(B * K), 0.0f);
            dMu.assign(static_cast<std::size_t>(R * K), 0.0f);
            dLv.assign(dMu.size(), 0.0f);
            if (hier) {
                dz1.assign(static_cast<std::size_t>(B * K1), 0.0f);
                dMu1 = dLv1 = dMuP = dLvP = dz1;
            }
        }
        logNormal(p.z.data(), p.encH.mu.data(), p.encH.lv.data(), B, K, lq.data(), s,
                  grad ? dz.data() : nullptr, dMu.data(), dLv.data());
        const float* muC = p.encH.mu.data() + B * K;
        mixtureForward(p.prior, p.z.data(), B, muC, p.encH.lv.data() + B * K, p.C, K);
        if (grad)
            mixtureBackward(p.prior, -s, muC, dz.data(), dMu.data() + B * K, dLv.data() + B * K);
        if (hier) {
            logNormal(p.z1.data(), p.q1H.mu.data(), p.q1H.lv.data(), B, K1, lq1.data(), s,
                      grad ? dz1.data() : nullptr, dMu1.data(), dLv1.data());
            chainForward(pz1, p.z.data(), B, p.pz1);
            headForward(pz1Head, p.pz1.back().out.data(), B, p.pz1H);
            logNormal(p.z1.data(), p.pz1H.mu.data(), p.pz1H.lv.data(), B, K1, lp1.data(), -s,
                      grad ? dz1.data() : nullptr, dMuP.data(), dLvP.data());
        }
        double recon = 0, kl = 0;
        for (std::int64_t r = 0; r < B; ++r) {
            recon += nll[r];
            kl += lq[r] + lq1[r] - lp1[r] - p.prior.logp[r];
        }
        t.recon = recon / B;
        t.kl = kl / B;
        t.loss = t.recon + beta * t.kl;
        if (!grad) return t;

        Vec d, dx, pre;
        // Output layer and decoder trunk.
        {
            const float* h = p.dec.back().out.data();
            d.resize(static_cast<std::size_t>(B * H));
            nn::denseBackward(h, p.logits.data(), B, out, d.data());
            chainBackward(dec, p.dec, B, d);
            const float* in = hier ? p.decIn.data() : p.z.data();
            dx.resize(static_cast<std::size_t>(B * dec[0].lin.in));
            nn::denseBackward(in, d.data(), B, dec[0].lin, dx.data());
        }
        if (!hier) {
            addInto(dz, dx);
        } else if (!branches()) {
            addColumns(dx.data(), K1 + K, 0, K1, B, dz1.data());
            addColumns(dx.data(), K1 + K, K1, K, B, dz.data());
        } else {
            Vec dBranch(static_cast<std::size_t>(B * std::max(K, K1)));
            const Vec dIn = dx;
            for (int side = 0; side < 2; ++side) {
                Block& blk = side == 0 ? pxz1 : pxz2;
                const BlockOut& o = side == 0 ? p.pxz1 : p.pxz2;
                columns(dIn.data(), 2 * H, side * H, H, B, d);
                blockGrad(blk, o, d.data(), B, pre);
                dBranch.resize(static_cast<std::size_t>(B * blk.lin.in));
                nn::denseBackward(side == 0 ? p.z1.data() : p.z.data(), pre.data(), B, blk.lin,
                                  dBranch.data());
                addInto(side == 0 ? dz1 : dz, dBranch);
            }
        }
        if (hier) {
            // p(z1 | z2): its trunk reads z.
            d.resize(static_cast<std::size_t>(B * H));
            headBackward(pz1Head, p.pz1.back().out.data(), p.pz1H, B, dMuP, dLvP, d.data());
            chainBackward(pz1, p.pz1, B, d);
            dx.resize(static_cast<std::size_t>(B * K));
            nn::denseBackward(p.z.data(), d.data(), B, pz1[0].lin, dx.data());
            addInto(dz, dx);
            // q(z1 | x, z2).
            reparamBackward(dz1, p.eps1, p.q1H, dMu1.data(), dLv1.data());
            d.resize(static_cast<std::size_t>(B * H));
            headBackward(q1Head, p.q1.back().out.data(), p.q1H, B, dMu1, dLv1, d.data());
            chainBackward(q1, p.q1, B, d);
            const nn::SparseBatch& x1 = p.xq1 ? *p.xq1 : p.x;
            dx.resize(static_cast<std::size_t>(B * K));
            if (branches()) {
                Vec dIn(static_cast<std::size_t>(B * 2 * H));
                nn::denseBackward(p.q1in.data(), d.data(), B, q1[0].lin, dIn.data());
                columns(dIn.data(), 2 * H, 0, H, B, d);
                blockGrad(q1x, p.q1x, d.data(), B, pre);
                inputBackward(q1x.lin, x1, nullptr, 0, pre.data(), nullptr);
                columns(dIn.data(), 2 * H, H, H, B, d);
                blockGrad(q1z, p.q1z, d.data(), B, pre);
                nn::denseBackward(p.z.data(), pre.data(), B, q1z.lin, dx.data());
            } else {
                mixedBackward(q1[0].lin, x1, p.z.data(), K, d.data(), dx.data());
            }
            addInto(dz, dx);
        }
        // q(z | x) over the users and the pseudo-inputs together, then the pseudo-inputs.
        reparamBackward(dz, p.eps, p.encH, dMu.data(), dLv.data());
        d.resize(static_cast<std::size_t>(R * H));
        headBackward(encHead, p.enc.back().out.data(), p.encH, R, dMu, dLv, d.data());
        chainBackward(enc, p.enc, R, d);
        pseudo.g.resize(pseudo.w.size());
        inputBackward(enc[0].lin, p.x, p.U.data(), p.C, d.data(), pseudo.g.data());
        pseudoBackward(pseudo, p.U, pseudoDrop);
        return t;
    }

    // Pass on rows [begin, end) of `rows` (ids: positions in the training order) for the loss.
    void lossPass(Pass& p, const CsrMatrix& rows, const std::int64_t* ids, std::int64_t begin,
                  std::int64_t end, bool training, std::uint64_t noise) const {
        const float drop = training ? dropout : 0.0f;
        p.x = nn::makeBatch(rows, ids, begin, end, drop, noise);
        p.xq1 = nullptr;
        if (hier && drop > 0.0f) {
            p.x1 = nn::makeBatch(rows, ids, begin, end, drop, mixSeed(noise, kTagDrop1));
            p.xq1 = &p.x1;
        }
        encodeForward(p, training, noise, true);
        decodeForward(p);
    }

    // ---- Optimizer ----

    void step() {
        const std::int64_t t = updates;
        const float eps = normGrad ? referenceEps(t) : kAdamEps;
        auto adam = [&](Vec& w, Vec& m, Vec& v, Vec& g) {
            kernels::adamStep(w.data(), m.data(), v.data(), g.data(),
                              static_cast<std::int64_t>(w.size()), lr, kAdamBeta1, kAdamBeta2, eps,
                              0.0f, t);
        };
        forEachLayer([&](nn::Dense& l, bool g) {
            if (normGrad) {
                normalizeGradient(l.gW, l.in, l.out, g);
                normalizeGradient(l.gb, 1, l.out, g);
            }
            adam(l.W, l.mW, l.vW, l.gW);
            adam(l.b, l.mb, l.vb, l.gb);
        });
        if (normGrad) normalizeGradient(pseudo.g, pseudo.C, pseudo.I, false);
        adam(pseudo.w, pseudo.m, pseudo.v, pseudo.g);
    }
};

VampVae::VampVae(VampVariant variant, const Config& config)
    : m_impl(std::make_unique<Impl>()), m_variant(variant) {
    m_config = validateConfig(info().params, config, info().id);
    m_impl->configure(m_config, variant);
}

VampVae::~VampVae() = default;

const ModelInfo& VampVae::info() const {
    switch (m_variant) {
    case VampVariant::Vamp:
        return vampInfo();
    case VampVariant::HVamp:
        return hvampInfo();
    case VampVariant::HVampGated:
        break;
    }
    return hvampGatedInfo();
}

int VampVae::defaultEpochs() const { return 400; }
int VampVae::latentDim() const { return static_cast<int>(m_impl->latent()); }
double VampVae::currentBeta(int epoch) const { return m_impl->betaAt(epoch); }
std::int64_t VampVae::updates() const { return m_impl->updates; }

void VampVae::initialize(const CsrMatrix& train, std::uint64_t seed) {
    if (train.cols <= 0)
        fail("cannot initialize " + info().id + ": the training matrix has no items");
    m_numItems = train.cols;
    m_numUsers = train.rows;
    checkMemory(info().id, memoryEstimate(train.rows, train.cols, train.nnz()),
                "lower pseudo_inputs, hidden_size, the latent sizes or batch_size");
    auto& im = *m_impl;
    im.seed = seed;
    im.updates = 0;
    im.build(m_numItems);
    Rng rng(mixSeed(seed, kTagInit));
    im.forEachLayer([&](nn::Dense& l, bool) {
        l.allocate(l.in, l.out);
        initHe(l, rng);
    });
    // Pseudo-inputs ~ N(0.05, 0.01²) (EVCF's pseudoinputs_mean / _std).
    Pseudo& p = im.pseudo;
    p.w.resize(static_cast<std::size_t>(p.C * p.I));
    for (float& w : p.w) w = static_cast<float>(0.05 + 0.01 * rng.normal());
    p.g.assign(p.w.size(), 0.0f);
    p.m = p.v = p.g;
}

EpochStats VampVae::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                               std::stop_token stop) {
    if (!initialized()) fail("train " + info().id + ": the model is not initialized");
    if (train.cols != m_numItems)
        fail("train " + info().id + ": the matrix has " + std::to_string(train.cols) +
             " items, the model " + std::to_string(m_numItems));
    auto& im = *m_impl;
    const std::int64_t N = train.rows;
    std::vector<std::int64_t> order(static_cast<std::size_t>(N));
    std::iota(order.begin(), order.end(), 0);
    Rng shuffle(mixSeed(im.seed, kTagShuffle, static_cast<std::uint64_t>(epoch)));
    for (std::int64_t i = N - 1; i > 0; --i)
        std::swap(order[i], order[shuffle.below(static_cast<std::uint64_t>(i + 1))]);

    EpochStats stats;
    const std::int64_t batches = (N + im.batchSize - 1) / im.batchSize;
    Impl::Pass pass;
    const float pseudoDrop = im.pseudoDropout ? im.dropout : 0.0f;
    for (std::int64_t b = 0; b < batches; ++b) {
        if (stop.stop_requested()) {
            stats.stopped = true;
            break;
        }
        const std::int64_t begin = b * im.batchSize, end = std::min(N, begin + im.batchSize);
        const std::uint64_t noise =
            mixSeed(im.seed, kTagBatch, static_cast<std::uint64_t>(im.updates));
        const double beta = im.betaAt(epoch);
        im.lossPass(pass, train, order.data(), begin, end, true, noise);
        const LossTerms t = im.lossAndBackward(pass, beta, true, pseudoDrop);
        ++im.updates;
        im.step();
        stats.mean.loss += t.loss;
        stats.mean.recon += t.recon;
        stats.mean.kl += t.kl;
        stats.mean.beta = t.beta;
        ++stats.batches;
        if (onBatch) onBatch({epoch, b, batches, im.updates, t});
    }
    if (stats.batches > 0) {
        const double n = static_cast<double>(stats.batches);
        stats.mean.loss /= n;
        stats.mean.recon /= n;
        stats.mean.kl /= n;
    }
    stats.updates = im.updates;
    return stats;
}

void VampVae::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                    float* out) const {
    if (!initialized()) fail("score " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("score " + info().id + ": the rows have " + std::to_string(rows.cols) +
             " items, the model " + std::to_string(m_numItems));
    if (end <= begin) return;
    Impl::Pass pass;
    pass.x = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    m_impl->encodeForward(pass, false, 0, false);
    m_impl->decodeForward(pass);
    std::copy(pass.logits.begin(), pass.logits.end(), out);
}

void VampVae::encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                     float* logVar) const {
    if (!initialized()) fail("encode " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("encode " + info().id + ": the rows have " + std::to_string(rows.cols) +
             " items, the model " + std::to_string(m_numItems));
    if (end <= begin) return;
    const auto& im = *m_impl;
    Impl::Pass pass;
    pass.x = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    im.encodeForward(pass, false, 0, false);
    const std::int64_t n = end - begin, K = im.K, K1 = im.K1, D = im.latent();
    for (std::int64_t r = 0; r < n; ++r) {
        // H+Vamp: [μ1 | μ2], μ1 from q(z1 | x, z2 = μ2).
        if (im.hier) std::copy_n(pass.q1H.mu.data() + r * K1, K1, mu + r * D);
        std::copy_n(pass.encH.mu.data() + r * K, K, mu + r * D + K1);
        if (!logVar) continue;
        if (im.hier) std::copy_n(pass.q1H.lv.data() + r * K1, K1, logVar + r * D);
        std::copy_n(pass.encH.lv.data() + r * K, K, logVar + r * D + K1);
    }
}

void VampVae::decode(const float* z, std::int64_t n, float* out) const {
    if (!initialized()) fail("decode " + info().id + ": the model is not trained");
    if (n < 0) fail("decode: negative point count " + std::to_string(n));
    if (n == 0) return;
    if (!z || !out) fail("decode: null latent points or output buffer");
    const auto& im = *m_impl;
    const std::int64_t K = im.K, K1 = im.K1, D = im.latent();
    Impl::Pass pass;
    pass.B = n;
    pass.z.resize(static_cast<std::size_t>(n * K));
    pass.z1.resize(static_cast<std::size_t>(n * K1));
    for (std::int64_t r = 0; r < n; ++r) {
        std::copy_n(z + r * D, K1, pass.z1.data() + r * K1);
        std::copy_n(z + r * D + K1, K, pass.z.data() + r * K);
    }
    im.decodeForward(pass);
    std::copy(pass.logits.begin(), pass.logits.end(), out);
}

Tensor VampVae::itemEmbeddings() const {
    if (!initialized()) return {};
    const nn::Dense& o = m_impl->out;  // H x items
    Tensor t{o.out, o.in, std::vector<float>(o.W.size())};
    for (std::int64_t h = 0; h < o.in; ++h)
        for (std::int64_t i = 0; i < o.out; ++i) t.data[i * o.in + h] = o.W[h * o.out + i];
    return t;
}

Tensor VampVae::pseudoInputLatents() const {
    if (!initialized()) return {};
    const auto& im = *m_impl;
    const std::int64_t C = im.C, D = im.latent();
    Vec U;
    pseudoInputs(im.pseudo, 0.0f, 0, U);
    Impl::Pass pass;
    pass.x = denseRows(U, C, m_numItems);
    im.encodeForward(pass, false, 0, false);
    Tensor t{C, D, std::vector<float>(static_cast<std::size_t>(C * D))};
    for (std::int64_t c = 0; c < C; ++c) {
        if (im.hier) std::copy_n(pass.q1H.mu.data() + c * im.K1, im.K1, t.data.data() + c * D);
        std::copy_n(pass.encH.mu.data() + c * im.K, im.K, t.data.data() + c * D + im.K1);
    }
    return t;
}

double VampVae::memoryEstimate(std::int64_t, std::int64_t items, std::int64_t) const {
    Impl shapes;
    shapes.configure(m_config, m_variant);
    shapes.build(items);
    double params = static_cast<double>(shapes.C) * static_cast<double>(items);
    double widest = 0;
    shapes.forEachLayer([&](const nn::Dense& l, bool) {
        params += static_cast<double>(l.in + 1) * static_cast<double>(l.out);
        if (&l != &shapes.out) widest = std::max(widest, static_cast<double>(l.out));
    });
    const double B = static_cast<double>(shapes.batchSize), C = static_cast<double>(shapes.C);
    const double I = static_cast<double>(items);
    const double layers = 3.0 * shapes.layers + 6.0;  // encoders, decoder, heads, gradients
    // Parameters, gradients and two Adam moments; the C x I pseudo-inputs as the encoder reads
    // them; logits of a batch and their gradient; the hidden activations of the users and the
    // C pseudo-inputs with their gradients; the B x C mixture and its gradient.
    return 16.0 * params + 4.0 * C * I + 8.0 * B * I + 8.0 * (B + C) * widest * layers +
           12.0 * B * C;
}

TensorMap VampVae::parameters() const {
    TensorMap m;
    m_impl->forEachLayer([&](const nn::Dense& l, bool) {
        m[l.name + ".W"] = nn::toTensor(l.W, l.in, l.out);
        m[l.name + ".b"] = nn::toTensor(l.b, 1, l.out);
    });
    const Pseudo& p = m_impl->pseudo;
    m["pseudo"] = nn::toTensor(p.w, p.C, p.I);
    return m;
}

TensorMap VampVae::state() const {
    TensorMap m = parameters();
    m_impl->forEachLayer([&](const nn::Dense& l, bool) {
        m[l.name + ".W.m"] = nn::toTensor(l.mW, l.in, l.out);
        m[l.name + ".W.v"] = nn::toTensor(l.vW, l.in, l.out);
        m[l.name + ".b.m"] = nn::toTensor(l.mb, 1, l.out);
        m[l.name + ".b.v"] = nn::toTensor(l.vb, 1, l.out);
    });
    const Pseudo& p = m_impl->pseudo;
    m["pseudo.m"] = nn::toTensor(p.m, p.C, p.I);
    m["pseudo.v"] = nn::toTensor(p.v, p.C, p.I);
    // Exact integers in float: the update counter in 24-bit halves.
    m["updates"] = Tensor{1, 2, std::vector<float>(2)};
    splitCounter24(static_cast<std::uint64_t>(m_impl->updates), m["updates"].data.data(), 2);
    return m;
}

void VampVae::setState(const TensorMap& state) {
    if (!initialized()) fail("set state of " + info().id + ": initialize the model first");
    const bool full = state.count("updates") > 0;
    // Check every tensor before changing anything.
    m_impl->forEachLayer([&](const nn::Dense& l, bool) {
        requireTensor(state, l.name + ".W", l.in, l.out);
        requireTensor(state, l.name + ".b", 1, l.out);
        if (!full) return;
        for (const char* s : {".W.m", ".W.v"}) requireTensor(state, l.name + s, l.in, l.out);
        for (const char* s : {".b.m", ".b.v"}) requireTensor(state, l.name + s, 1, l.out);
    });
    Pseudo& p = m_impl->pseudo;
    requireTensor(state, "pseudo", p.C, p.I);
    if (full) {
        requireTensor(state, "pseudo.m", p.C, p.I);
        requireTensor(state, "pseudo.v", p.C, p.I);
        requireTensor(state, "updates", 1, 2);
    }
    m_impl->forEachLayer([&](nn::Dense& l, bool) {
        l.W = state.at(l.name + ".W").data;
        l.b = state.at(l.name + ".b").data;
        if (!full) return;
        l.mW = state.at(l.name + ".W.m").data;
        l.vW = state.at(l.name + ".W.v").data;
        l.mb = state.at(l.name + ".b.m").data;
        l.vb = state.at(l.name + ".b.v").data;
    });
    p.w = state.at("pseudo").data;
    if (full) {
        p.m = state.at("pseudo.m").data;
        p.v = state.at("pseudo.v").data;
        const auto& u = state.at("updates").data;
        m_impl->updates = static_cast<std::int64_t>(joinCounter24(u.data(), 2, "updates"));
    }
}

std::vector<float>& VampVae::parameter(const std::string& name) {
    if (name == "pseudo") return m_impl->pseudo.w;
    std::vector<float>* found = nullptr;
    m_impl->forEachLayer([&](nn::Dense& l, bool) {
        if (name == l.name + ".W") found = &l.W;
        if (name == l.name + ".b") found = &l.b;
    });
    if (!found) fail("no parameter '" + name + "' in " + info().id);
    return *found;
}

LossTerms VampVae::batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                             std::uint64_t noiseSeed, bool training, double beta,
                             TensorMap* gradient) const {
    if (!initialized()) fail("loss of " + info().id + ": the model is not initialized");
    Impl::Pass pass;
    m_impl->lossPass(pass, rows, nullptr, begin, end, training, noiseSeed);
    // lossAndBackward writes gradients into the layers: the const_cast is confined to this test
    // hook, which leaves the parameters untouched.
    auto& mut = const_cast<Impl&>(*m_impl);
    const float pseudoDrop = training && mut.pseudoDropout ? mut.dropout : 0.0f;
    const LossTerms t = mut.lossAndBackward(pass, beta, gradient != nullptr, pseudoDrop);
    if (gradient) {
        gradient->clear();
        m_impl->forEachLayer([&](const nn::Dense& l, bool) {
            (*gradient)[l.name + ".W"] = nn::toTensor(l.gW, l.in, l.out);
            (*gradient)[l.name + ".b"] = nn::toTensor(l.gb, 1, l.out);
        });
        const Pseudo& p = m_impl->pseudo;
        (*gradient)["pseudo"] = nn::toTensor(p.g, p.C, p.I);
    }
    return t;
}

void VampVae::adamNormGradStep(float* w, float* m, float* v, float* g, std::int64_t n, float lr,
                               std::int64_t step) {
    normalizeBlock(g, 1, n, n);
    kernels::adamStep(w, m, v, g, n, lr, kAdamBeta1, kAdamBeta2, referenceEps(step), 0.0f, step);
}

void VampVae::logVampPrior(const float* z, std::int64_t n, const float* mu, const float* logVar,
                           std::int64_t C, std::int64_t K, double* out) {
    Mixture m;
    mixtureForward(m, z, n, mu, logVar, C, K);
    std::copy(m.logp.begin(), m.logp.end(), out);
}

}  // namespace vaecf::core
