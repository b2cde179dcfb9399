// SPDX-License-Identifier: MIT
// Mult-VAE / Mult-DAE: see mult_vae.h for the objective. Gradients below are those of the
// batch loss L (means over the batch), written layer by layer in reverse.
#include "vaecf/mult_vae.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <numeric>

#include <unistd.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "kernels/kernels.h"
#include "nn.h"
#include "vaecf/error.h"

namespace vaecf::core {

namespace {

ParamSpecs commonSpecs(bool variational) {
    ParamSpecs s;
    s.push_back({"hidden_dims", "Hidden layers", "",
                 variational ? "Encoder hidden layer sizes; the decoder mirrors them "
                               "(Liang: [600] for I-600-200-600-I)"
                             : "Encoder hidden layer sizes before the code; the decoder mirrors "
                               "them (Liang: none, I-200-I)",
                 "Architecture", ParamKind::IntList, 1, 65536, false,
                 variational ? nlohmann::json::array({600}) : nlohmann::json::array(), {}, 8});
    s.push_back({"latent_dim", variational ? "Latent size" : "Code size", "K",
                 variational ? "Dimension of the latent z (Liang: 200)"
                             : "Width of the bottleneck layer (Liang: 200)",
                 "Architecture", ParamKind::Int, 1, 4096, false, 200, {}, 0});
    s.push_back({"dropout", "Input dropout", "p",
                 "Dropout rate on the L2-normalized input row while training (Liang: 0.5)",
                 "Regularization", ParamKind::Real, 0, 0.95, false, 0.5, {}, 0});
    if (variational) {
        s.push_back({"beta_schedule", "β schedule", "β",
                     "anneal: β = min(cap, updates / total steps); constant: β = cap throughout",
                     "Annealing", ParamKind::Choice, 0, 0, false, "anneal", {"anneal", "constant"},
                     0});
        s.push_back({"anneal_cap", "β cap", "β_max",
                     "Largest KL weight (Liang: 0.2, where validation NDCG peaked on ML-20M)",
                     "Annealing", ParamKind::Real, 0, 10, false, 0.2, {}, 0});
        s.push_back({"total_anneal_steps", "Annealing steps", "",
                     "Updates over which β would reach 1; β hits the cap after cap × steps "
                     "(Liang: 200000)",
                     "Annealing", ParamKind::Int, 1, 1e9, true, 200000, {}, 0});
    }
    s.push_back({"l2", "Weight penalty", "λ",
                 variational ? "Adds λ Σ‖W‖² over the weights (Liang: 0 for the VAE)"
                             : "Adds λ Σ‖W‖² over the weights (Liang: 0.01 / batch = 2e-5)",
                 "Regularization", ParamKind::Real, 0, 1, false, variational ? 0.0 : 2e-5, {}, 0});
    s.push_back({"learning_rate", "Learning rate", "η", "Adam step size (Liang: 1e-3)",
                 "Optimization", ParamKind::Real, 1e-7, 1, true, 1e-3, {}, 0});
    s.push_back({"batch_size", "Batch size", "", "Users per update (Liang: 500)", "Optimization",
                 ParamKind::Int, 1, 1000000, true, 500, {}, 0});
    return s;
}

}  // namespace

const ModelInfo& multVaeInfo() {
    static const ModelInfo info{"mult-vae", "Mult-VAE", "Liang et al., WWW 2018",
                                "Variational autoencoder with a multinomial likelihood and an "
                                "annealed KL weight β",
                                ModelFamily::UserAutoencoder, commonSpecs(true)};
    return info;
}

const ModelInfo& multDaeInfo() {
    static const ModelInfo info{"mult-dae", "Mult-DAE", "Liang et al., WWW 2018",
                                "Denoising autoencoder with a multinomial likelihood",
                                ModelFamily::UserAutoencoder, commonSpecs(false)};
    return info;
}

// Phase timings of an epoch, printed to stderr when VAECF_PROFILE is set.
bool profiling() {
    static const bool on = std::getenv("VAECF_PROFILE") != nullptr;
    return on;
}

// Wall time of a call when profiling, added to `acc`.
template <class F>
void timed(double& acc, const F& f) {
    if (!profiling()) return f();
    const auto t0 = std::chrono::steady_clock::now();
    f();
    acc += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class Profile {
public:
    Profile() : m_on(profiling()), m_last(Clock::now()) {}
    void lap(int phase) {
        if (!m_on) return;
        const auto now = Clock::now();
        m_s[phase] += std::chrono::duration<double>(now - m_last).count();
        m_last = now;
    }
    void report(const std::string& who, int epoch, std::initializer_list<const char*> names) const {
        if (!m_on) return;
        std::fprintf(stderr, "[profile] %s epoch %d:", who.c_str(), epoch);
        int k = 0;
        for (const char* n : names) std::fprintf(stderr, " %s %.2fs", n, m_s[k++]);
        std::fprintf(stderr, "\n");
    }

private:
    using Clock = std::chrono::steady_clock;
    bool m_on;
    Clock::time_point m_last;
    double m_s[8] = {};
};

struct MultVae::Impl {
    bool variational = true;
    int latent = 0;
    float dropout = 0.5f;
    float l2 = 0;
    bool annealed = true;
    double cap = 0.2;
    double annealSteps = 200000;
    std::int64_t batchSize = 500;
    nn::Adam adam;
    std::vector<nn::Dense> enc, dec;
    std::int64_t updates = 0;
    std::uint64_t seed = 0;
    std::vector<std::int32_t> touched;  // items with a non-zero first-layer gradient row
    std::vector<std::int32_t> readRows; // items read by the current batch's first layer
    // Profiling: seconds in the output layer's three products (with their fused epilogues)
    // and the products' FLOPs.
    mutable double outSeconds[3] = {};
    mutable double outFlops = 0;

    // Activations of one forward pass.
    struct Pass {
        nn::SparseBatch batch;
        std::vector<std::vector<float>> encOut;  // output of each encoder layer (after tanh
                                                 // where the layer has one)
        std::vector<float> eps, z, mu, logVar;
        std::vector<std::vector<float>> decOut;  // output of each decoder layer; last = logits
        // With loss statistics (training): logits hold exp(l - stripMax) per column strip,
        // and per (row, strip) the strip's max, Σ exp and Σ_i x_i l_i are kept.
        bool stripStats = false;
        std::int64_t width = 0, strips = 0;
        std::vector<float> smax;
        std::vector<double> ssum, sdot;
    };

    double beta() const {
        if (!variational) return 0;
        return annealed ? std::min(cap, static_cast<double>(updates) / annealSteps) : cap;
    }

    bool encTanh(std::size_t j) const { return j + 1 < enc.size() || !variational; }

    // Output layer: logits = x W + b computed in column strips; each strip gets its bias and,
    // with stats, is turned into exp(l - strip max) while still in cache, its sums kept.
    void outputForward(Pass& p, const float* x, bool stats) const {
        const nn::Dense& L = dec.back();
        const std::int64_t B = p.batch.rows, N = L.out;
        auto& out = p.decOut.back();
        out.resize(static_cast<std::size_t>(B * N));
        p.stripStats = stats;
        p.width = kernels::sgemmStripWidth(N);
        p.strips = (N + p.width - 1) / p.width;
        if (stats) {
            p.smax.assign(static_cast<std::size_t>(B * p.strips), 0.0f);
            p.ssum.assign(p.smax.size(), 0.0);
            p.sdot.assign(p.smax.size(), 0.0);
        }
        const nn::SparseBatch& bt = p.batch;
        if (stats) outFlops += 6.0 * static_cast<double>(B) * static_cast<double>(L.in) * N;
        double notTraining = 0;
        timed(stats ? outSeconds[0] : notTraining, [&] {
        kernels::sgemmStrips(false, false, B, N, L.in, 1.0f, x, L.in, L.W.data(), N, 0.0f,
                             out.data(), N, [&](std::int64_t j0, std::int64_t j1) {
            const std::int64_t s = j0 / p.width;
            for (std::int64_t r = 0; r < B; ++r) {
                float* l = out.data() + r * N;
                for (std::int64_t j = j0; j < j1; ++j) l[j] += L.b[j];
                if (!stats) continue;
                // Σ x_i l_i over the row's items in this strip (items sorted by column).
                const auto* first = bt.idx.data() + bt.ptr[r];
                const auto* last = bt.idx.data() + bt.ptr[r + 1];
                double dot = 0;
                for (const auto* it = std::lower_bound(first, last, static_cast<std::int32_t>(j0));
                     it != last && *it < j1; ++it)
                    dot += static_cast<double>(bt.raw[it - bt.idx.data()]) * l[*it];
                const float mx = kernels::rowMax(l + j0, j1 - j0);
                p.smax[r * p.strips + s] = mx;
                p.ssum[r * p.strips + s] = kernels::expShiftSum(l + j0, j1 - j0, mx);
                p.sdot[r * p.strips + s] = dot;
            }
        });
        });
    }

    // Forward pass on pass.batch. sample: z = μ + ε σ (VAE) with ε from noiseSeed.
    // stats: the output layer keeps the loss statistics (see Pass) instead of raw logits.
    void forward(Pass& p, bool sample, std::uint64_t noiseSeed, bool stats = false) const {
        const std::int64_t B = p.batch.rows;
        p.encOut.resize(enc.size());
        for (std::size_t j = 0; j < enc.size(); ++j) {
            auto& out = p.encOut[j];
            out.resize(static_cast<std::size_t>(B * enc[j].out));
            if (j == 0)
                nn::sparseForward(p.batch, enc[0], out.data());
            else
                nn::denseForward(p.encOut[j - 1].data(), B, enc[j], out.data());
            if (encTanh(j)) nn::tanhInPlace(out.data(), static_cast<std::int64_t>(out.size()));
        }
        const auto& e = p.encOut.back();
        const std::int64_t K = latent;
        if (variational) {
            p.mu.resize(static_cast<std::size_t>(B * K));
            p.logVar.resize(p.mu.size());
            p.z.resize(p.mu.size());
            p.eps.assign(p.mu.size(), 0.0f);
            tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, B, 32), [&](const auto& range) {
                for (std::int64_t r = range.begin(); r < range.end(); ++r) {
                    Rng rng(mixSeed(noiseSeed, static_cast<std::uint64_t>(r), 0xE95));
                    for (std::int64_t d = 0; d < K; ++d) {
                        const float mu = e[r * 2 * K + d], lv = e[r * 2 * K + K + d];
                        p.mu[r * K + d] = mu;
                        p.logVar[r * K + d] = lv;
                        float z = mu;
                        if (sample) {
                            const float eps = static_cast<float>(rng.normal());
                            p.eps[r * K + d] = eps;
                            z = mu + eps * std::exp(0.5f * lv);
                        }
                        p.z[r * K + d] = z;
                    }
                }
            });
        } else {
            p.z = e;
        }
        decodeForward(p, stats);
    }

    // Decoder half of the forward pass: p.z (p.batch.rows x latent) through the decoder
    // layers into p.decOut (last = logits, or the loss statistics with stats).
    void decodeForward(Pass& p, bool stats) const {
        const std::int64_t B = p.batch.rows;
        p.decOut.resize(dec.size());
        const float* x = p.z.data();
        for (std::size_t j = 0; j + 1 < dec.size(); ++j) {
            auto& out = p.decOut[j];
            out.resize(static_cast<std::size_t>(B * dec[j].out));
            nn::denseForward(x, B, dec[j], out.data());
            nn::tanhInPlace(out.data(), static_cast<std::int64_t>(out.size()));
            x = out.data();
        }
        outputForward(p, x, stats);
    }

    // Summed multinomial NLL of the pass; with grad, the logits buffer becomes
    // scale · (n_u softmax(l_u) - x_u).
    double outputLoss(Pass& p, bool grad, float scale) const {
        const std::int64_t B = p.batch.rows, N = dec.back().out, S = p.strips;
        auto& g = p.decOut.back();
        std::vector<double> nll(static_cast<std::size_t>(B));
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, B, 4), [&](const auto& range) {
            std::vector<float> factor(static_cast<std::size_t>(S));
            for (std::int64_t r = range.begin(); r < range.end(); ++r) {
                float mx = -INFINITY;
                for (std::int64_t s = 0; s < S; ++s) mx = std::max(mx, p.smax[r * S + s]);
                double sum = 0, dot = 0;
                for (std::int64_t s = 0; s < S; ++s) {
                    sum += p.ssum[r * S + s] * std::exp(static_cast<double>(p.smax[r * S + s]) - mx);
                    dot += p.sdot[r * S + s];
                }
                const double lse = mx + std::log(sum);
                const double n = p.batch.count[r];
                nll[r] = n * lse - dot;
                if (!grad) continue;
                for (std::int64_t s = 0; s < S; ++s)
                    factor[s] = static_cast<float>(n * scale *
                                                   std::exp(static_cast<double>(p.smax[r * S + s]) - lse));
                float* l = g.data() + r * N;
                for (std::int64_t s = 0; s < S; ++s) {
                    const std::int64_t j0 = s * p.width, j1 = std::min(N, j0 + p.width);
                    kernels::scale(l + j0, j1 - j0, factor[s]);
                }
                for (std::int64_t k = p.batch.ptr[r]; k < p.batch.ptr[r + 1]; ++k)
                    l[p.batch.idx[k]] -= scale * p.batch.raw[k];
            }
        });
        double total = 0;
        for (double v : nll) total += v;
        return total;
    }

    // Backward through the output layer given G = dL/dlogits: dx = G Wᵀ, then dW = xᵀ G in
    // strips, each strip's bias gradient and, when t > 0, its Adam step fused in while the
    // strip is in cache (W is read by dx first, so updating it afterwards is safe).
    void outputBackward(const float* x, const float* G, std::int64_t B, float* dx, std::int64_t t) {
        nn::Dense& L = dec.back();
        const std::int64_t N = L.out, H = L.in;
        timed(outSeconds[1], [&] {
            if (dx) kernels::sgemm(false, true, B, H, N, 1.0f, G, N, L.W.data(), N, 0.0f, dx, H);
        });
        float stepSize = 0, isb = 0;
        if (t > 0) kernels::adamConstants(adam.lr, adam.beta1, adam.beta2, t, &stepSize, &isb);
        timed(outSeconds[2], [&] {
        kernels::sgemmStrips(true, false, H, N, B, 1.0f, x, H, G, N, 0.0f, L.gW.data(), N,
                             [&](std::int64_t j0, std::int64_t j1) {
            float* gb = L.gb.data();
            std::fill(gb + j0, gb + j1, 0.0f);
            for (std::int64_t r = 0; r < B; ++r) {
                const float* gr = G + r * N;
                for (std::int64_t j = j0; j < j1; ++j) gb[j] += gr[j];
            }
            if (t <= 0) return;
            for (std::int64_t h = 0; h < H; ++h)
                kernels::adamStepSerial(L.W.data() + h * N + j0, L.mW.data() + h * N + j0,
                                        L.vW.data() + h * N + j0, L.gW.data() + h * N + j0,
                                        j1 - j0, stepSize, isb, adam.beta1, adam.beta2, adam.eps,
                                        2.0f * l2);
            kernels::adamStepSerial(L.b.data() + j0, L.mb.data() + j0, L.vb.data() + j0, gb + j0,
                                    j1 - j0, stepSize, isb, adam.beta1, adam.beta2, adam.eps, 0.0f);
        });
        });
    }

    // Loss of the pass (logits are overwritten by the gradient when grad is true) and, with
    // grad, the parameter gradients in the layers' gW/gb.
    // With adamStep > 0 the output layer is also updated (fused into its backward pass).
    LossTerms lossAndBackward(Pass& p, double betaNow, bool grad, std::int64_t adamStep = 0) {
        const std::int64_t B = p.batch.rows;
        const float invB = 1.0f / static_cast<float>(B);
        auto& logits = p.decOut.back();
        LossTerms t;
        if (!p.stripStats) fail("internal: the loss needs a forward pass with statistics");
        t.recon = outputLoss(p, grad, invB) / B;
        t.beta = betaNow;
        const std::int64_t K = latent;
        if (variational) {
            double kl = 0;
            for (std::size_t k = 0; k < p.mu.size(); ++k) {
                const double lv = p.logVar[k], mu = p.mu[k];
                kl += 0.5 * (-lv + std::exp(lv) + mu * mu - 1.0);
            }
            t.kl = kl / B;
        }
        if (l2 > 0) {
            double sq = 0;
            for (const auto* layers : {&enc, &dec})
                for (const auto& l : *layers)
                    for (float w : l.W) sq += static_cast<double>(w) * w;
            t.penalty = l2 * sq;
        }
        t.loss = t.recon + betaNow * t.kl + t.penalty;
        if (!grad) return t;

        // Decoder, last layer first. d holds dL/d(output of layer j, before its tanh).
        std::vector<float> d, dPrev;
        {
            const std::size_t last = dec.size() - 1;
            const float* x = last == 0 ? p.z.data() : p.decOut[last - 1].data();
            d.resize(static_cast<std::size_t>(B * dec[last].in));
            outputBackward(x, logits.data(), B, d.data(), adamStep);
            if (last > 0)
                nn::tanhBackward(p.decOut[last - 1].data(), d.data(), static_cast<std::int64_t>(d.size()));
        }
        for (std::size_t jj = dec.size() - 1; jj-- > 0;) {
            const float* x = jj == 0 ? p.z.data() : p.decOut[jj - 1].data();
            dPrev.resize(static_cast<std::size_t>(B * dec[jj].in));
            nn::denseBackward(x, d.data(), B, dec[jj], dPrev.data());
            if (jj > 0)
                nn::tanhBackward(p.decOut[jj - 1].data(), dPrev.data(),
                                 static_cast<std::int64_t>(dPrev.size()));
            std::swap(d, dPrev);
        }
        // d = dL/dz. Through the sampling step to the encoder output [μ | log σ²].
        if (variational) {
            std::vector<float> de(static_cast<std::size_t>(B * 2 * K));
            const float bk = static_cast<float>(betaNow) * invB;
            for (std::int64_t r = 0; r < B; ++r)
                for (std::int64_t k = 0; k < K; ++k) {
                    const std::int64_t i = r * K + k;
                    const float lv = p.logVar[i];
                    const float sigma = std::exp(0.5f * lv);
                    de[r * 2 * K + k] = d[i] + bk * p.mu[i];
                    de[r * 2 * K + K + k] =
                        d[i] * p.eps[i] * 0.5f * sigma + bk * 0.5f * (std::exp(lv) - 1.0f);
                }
            d = std::move(de);
        }
        // Encoder, last layer first.
        for (std::size_t jj = enc.size(); jj-- > 0;) {
            if (encTanh(jj))
                nn::tanhBackward(p.encOut[jj].data(), d.data(), static_cast<std::int64_t>(d.size()));
            if (jj == 0) {
                nn::sparseBackward(p.batch, d.data(), enc[0], touched);
            } else {
                dPrev.resize(static_cast<std::size_t>(B * enc[jj].in));
                nn::denseBackward(p.encOut[jj - 1].data(), d.data(), B, enc[jj], dPrev.data());
                std::swap(d, dPrev);
            }
        }
        return t;
    }

    std::int64_t numItems() const { return enc.front().in; }

    // The first layer's rows are updated lazily (see nn::Adam) unless a weight penalty makes
    // the reported loss depend on every row at every step.
    bool lazyInput() const { return l2 == 0.0f; }

    // Items with a non-zero input in the batch, ascending.
    static void inputRows(const nn::SparseBatch& b, std::vector<std::int32_t>& rows) {
        rows.clear();
        for (std::size_t k = 0; k < b.idx.size(); ++k)
            if (b.input[k] != 0.0f) rows.push_back(b.idx[k]);
        std::sort(rows.begin(), rows.end());
        rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    }

    std::vector<nn::Dense*> layers() {
        std::vector<nn::Dense*> v;
        for (auto& l : enc) v.push_back(&l);
        for (auto& l : dec) v.push_back(&l);
        return v;
    }
    std::vector<const nn::Dense*> layers() const {
        std::vector<const nn::Dense*> v;
        for (auto& l : enc) v.push_back(&l);
        for (auto& l : dec) v.push_back(&l);
        return v;
    }
};

MultVae::MultVae(bool variational, const Config& config)
    : m_impl(std::make_unique<Impl>()), m_variational(variational) {
    const ModelInfo& mi = variational ? multVaeInfo() : multDaeInfo();
    m_config = validateConfig(mi.params, config, mi.id);
    auto& im = *m_impl;
    im.variational = variational;
    im.latent = m_config["latent_dim"].get<int>();
    im.dropout = m_config["dropout"].get<float>();
    im.l2 = m_config["l2"].get<float>();
    im.batchSize = m_config["batch_size"].get<std::int64_t>();
    im.adam.lr = m_config["learning_rate"].get<float>();
    if (variational) {
        im.annealed = m_config["beta_schedule"].get<std::string>() == "anneal";
        im.cap = m_config["anneal_cap"].get<double>();
        im.annealSteps = m_config["total_anneal_steps"].get<double>();
    }
}

MultVae::~MultVae() = default;

const ModelInfo& MultVae::info() const { return m_variational ? multVaeInfo() : multDaeInfo(); }

int MultVae::latentDim() const { return m_impl->latent; }
double MultVae::currentBeta() const { return m_impl->beta(); }
std::int64_t MultVae::updates() const { return m_impl->updates; }

void MultVae::initialize(const CsrMatrix& train, std::uint64_t seed) {
    if (train.cols <= 0) fail("cannot initialize " + info().id + ": the training matrix has no items");
    auto& im = *m_impl;
    m_numItems = train.cols;
    m_numUsers = train.rows;
    im.seed = seed;
    im.updates = 0;
    im.touched.clear();
    std::vector<std::int64_t> hidden = m_config["hidden_dims"].get<std::vector<std::int64_t>>();
    std::vector<std::int64_t> encDims{m_numItems};
    encDims.insert(encDims.end(), hidden.begin(), hidden.end());
    encDims.push_back(m_variational ? 2 * im.latent : im.latent);
    std::vector<std::int64_t> decDims{im.latent};
    decDims.insert(decDims.end(), hidden.rbegin(), hidden.rend());
    decDims.push_back(m_numItems);
    // Refuse sizes this machine cannot hold before allocating.
    checkMemory(info().id, memoryEstimate(train.rows, m_numItems, train.nnz()),
                "lower hidden_dims, latent_dim or batch_size");
    Rng rng(mixSeed(seed, 0x1417));
    im.enc.assign(encDims.size() - 1, {});
    for (std::size_t j = 0; j + 1 < encDims.size(); ++j) {
        im.enc[j].name = "enc" + std::to_string(j);
        im.enc[j].allocate(encDims[j], encDims[j + 1]);
        im.enc[j].initXavier(rng);
    }
    im.enc[0].rowStep.assign(static_cast<std::size_t>(encDims[0]), 0);
    im.dec.assign(decDims.size() - 1, {});
    for (std::size_t j = 0; j + 1 < decDims.size(); ++j) {
        im.dec[j].name = "dec" + std::to_string(j);
        im.dec[j].allocate(decDims[j], decDims[j + 1]);
        im.dec[j].initXavier(rng);
    }
}

EpochStats MultVae::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                               std::stop_token stop) {
    if (!initialized()) fail("train " + info().id + ": the model is not initialized");
    if (train.cols != m_numItems)
        fail("train " + info().id + ": the matrix has " + std::to_string(train.cols) +
             " items, the model " + std::to_string(m_numItems));
    auto& im = *m_impl;
    const std::int64_t N = train.rows;
    std::vector<std::int64_t> order(static_cast<std::size_t>(N));
    std::iota(order.begin(), order.end(), 0);
    Rng shuffle(mixSeed(im.seed, 0x5FF1E, static_cast<std::uint64_t>(epoch)));
    for (std::int64_t i = N - 1; i > 0; --i)
        std::swap(order[i], order[shuffle.below(static_cast<std::uint64_t>(i + 1))]);

    EpochStats stats;
    stats.batches = 0;
    const std::int64_t batches = (N + im.batchSize - 1) / im.batchSize;
    Impl::Pass pass;
    Profile prof;
    for (std::int64_t b = 0; b < batches; ++b) {
        if (stop.stop_requested()) {
            stats.stopped = true;
            break;
        }
        const std::int64_t begin = b * im.batchSize, end = std::min(N, begin + im.batchSize);
        const std::uint64_t noise = mixSeed(im.seed, 0xBA7C4, static_cast<std::uint64_t>(im.updates));
        pass.batch = nn::makeBatch(train, order.data(), begin, end, im.dropout, noise);
        const double beta = im.beta();
        const bool lazy = im.lazyInput();
        prof.lap(0);
        if (lazy) {
            // Rows of the first layer read by this batch must be current before the forward.
            im.inputRows(pass.batch, im.readRows);
            im.adam.catchUp(im.enc[0], &im.readRows, im.updates, 0.0f);
        }
        prof.lap(1);
        im.forward(pass, true, noise, true);
        prof.lap(2);
        const LossTerms t = im.lossAndBackward(pass, beta, true, im.updates + 1);
        prof.lap(3);
        ++im.updates;
        for (nn::Dense* l : im.layers()) {
            if (l == &im.dec.back()) continue;  // updated inside its backward pass
            if (l == &im.enc[0] && lazy)
                im.adam.stepLazy(*l, im.touched, im.updates, 0.0f);
            else
                im.adam.step(*l, im.updates, 2.0f * im.l2);
        }
        prof.lap(4);
        stats.mean.loss += t.loss;
        stats.mean.recon += t.recon;
        stats.mean.kl += t.kl;
        stats.mean.penalty += t.penalty;
        stats.mean.beta = t.beta;
        ++stats.batches;
        if (onBatch) onBatch({epoch, b, batches, im.updates, t});
    }
    if (stats.batches > 0) {
        const double n = static_cast<double>(stats.batches);
        stats.mean.loss /= n;
        stats.mean.recon /= n;
        stats.mean.kl /= n;
        stats.mean.penalty /= n;
    }
    if (im.lazyInput()) im.adam.catchUp(im.enc[0], nullptr, im.updates, 0.0f);
    prof.lap(5);
    prof.report(info().id, epoch, {"batch", "catch-up", "forward", "loss+backward", "adam", "flush"});
    if (profiling()) {
        const double* o = im.outSeconds;
        std::fprintf(stderr,
                     "[profile] output layer products (with fused epilogues): logits %.2fs, "
                     "dX %.2fs, dW+Adam %.2fs; %.1f GFLOP/s over %.2f TFLOP\n",
                     o[0], o[1], o[2], im.outFlops / (o[0] + o[1] + o[2]) / 1e9, im.outFlops / 1e12);
        std::fill(im.outSeconds, im.outSeconds + 3, 0.0);
        im.outFlops = 0;
    }
    stats.updates = im.updates;
    return stats;
}

void MultVae::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                    float* out) const {
    if (!initialized()) fail("score " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("score: the rows have " + std::to_string(rows.cols) + " items, the model " +
             std::to_string(m_numItems));
    Impl::Pass pass;
    pass.batch = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    m_impl->forward(pass, false, 0);
    std::copy(pass.decOut.back().begin(), pass.decOut.back().end(), out);
}

void MultVae::decode(const float* z, std::int64_t n, float* out) const {
    if (!initialized()) fail("decode " + info().id + ": the model is not trained");
    if (n < 0) fail("decode: negative point count " + std::to_string(n));
    if (n == 0) return;
    if (!z || !out) fail("decode: null latent points or output buffer");
    Impl::Pass pass;
    pass.batch.rows = n;
    pass.z.assign(z, z + n * m_impl->latent);
    m_impl->decodeForward(pass, false);
    std::copy(pass.decOut.back().begin(), pass.decOut.back().end(), out);
}

void MultVae::encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                     float* logVar) const {
    if (!initialized()) fail("encode " + info().id + ": the model is not trained");
    Impl::Pass pass;
    pass.batch = nn::makeBatch(rows, nullptr, begin, end, 0.0f, 0);
    m_impl->forward(pass, false, 0);
    std::copy(pass.z.begin(), pass.z.end(), mu);
    if (logVar) {
        if (m_variational)
            std::copy(pass.logVar.begin(), pass.logVar.end(), logVar);
        else
            std::fill_n(logVar, pass.z.size(), 0.0f);
    }
}

Tensor MultVae::itemEmbeddings() const {
    if (!initialized()) return {};
    const nn::Dense& out = m_impl->dec.back();  // in x items
    Tensor t{out.out, out.in, std::vector<float>(out.W.size())};
    for (std::int64_t h = 0; h < out.in; ++h)
        for (std::int64_t i = 0; i < out.out; ++i) t.data[i * out.in + h] = out.W[h * out.out + i];
    return t;
}

TensorMap MultVae::parameters() const {
    TensorMap m;
    for (const nn::Dense* l : m_impl->layers()) {
        m[l->name + ".W"] = nn::toTensor(l->W, l->in, l->out);
        m[l->name + ".b"] = nn::toTensor(l->b, 1, l->out);
    }
    return m;
}

TensorMap MultVae::state() const {
    TensorMap m = parameters();
    for (const nn::Dense* l : m_impl->layers()) {
        m[l->name + ".W.m"] = nn::toTensor(l->mW, l->in, l->out);
        m[l->name + ".W.v"] = nn::toTensor(l->vW, l->in, l->out);
        m[l->name + ".b.m"] = nn::toTensor(l->mb, 1, l->out);
        m[l->name + ".b.v"] = nn::toTensor(l->vb, 1, l->out);
    }
    // Exact integers in float: split the update counter into 24-bit halves.
    const auto split24 = [](std::int64_t v, float* out) {
        splitCounter24(static_cast<std::uint64_t>(v), out, 2);
    };
    m["updates"] = Tensor{1, 2, std::vector<float>(2)};
    split24(m_impl->updates, m["updates"].data.data());
    // The step each lazily updated input row is at (rows lag mid-epoch), for exact resume.
    const nn::Dense& first = m_impl->enc.front();
    if (!first.rowStep.empty()) {
        Tensor steps{first.in, 2, std::vector<float>(static_cast<std::size_t>(2 * first.in))};
        for (std::int64_t r = 0; r < first.in; ++r) split24(first.rowStep[r], steps.data.data() + 2 * r);
        m[first.name + ".W.step"] = std::move(steps);
    }
    return m;
}

void MultVae::setState(const TensorMap& state) {
    if (!initialized()) fail("set state of " + info().id + ": initialize the model first");
    const bool full = state.count("updates") > 0;
    for (nn::Dense* l : m_impl->layers()) {
        l->W = requireTensor(state, l->name + ".W", l->in, l->out).data;
        l->b = requireTensor(state, l->name + ".b", 1, l->out).data;
        if (!full) continue;
        l->mW = requireTensor(state, l->name + ".W.m", l->in, l->out).data;
        l->vW = requireTensor(state, l->name + ".W.v", l->in, l->out).data;
        l->mb = requireTensor(state, l->name + ".b.m", 1, l->out).data;
        l->vb = requireTensor(state, l->name + ".b.v", 1, l->out).data;
    }
    const auto join24 = [](const float* v, const std::string& tensor) {
        return static_cast<std::int64_t>(joinCounter24(v, 2, tensor));
    };
    if (full) {
        m_impl->updates = join24(requireTensor(state, "updates", 1, 2).data.data(), "updates");
        // Lazily updated rows resume at their own step; without the record they are current.
        nn::Dense& first = m_impl->enc.front();
        const std::string key = first.name + ".W.step";
        const float* steps = state.count(key) ? requireTensor(state, key, first.in, 2).data.data() : nullptr;
        for (std::size_t r = 0; r < first.rowStep.size(); ++r)
            first.rowStep[r] = steps ? join24(steps + 2 * r, key) : m_impl->updates;
    } else {
        // Parameters alone (a snapshot or a model file): every row is taken as current.
        for (auto& step : m_impl->enc.front().rowStep) step = m_impl->updates;
    }
}

double MultVae::memoryEstimate(std::int64_t, std::int64_t items, std::int64_t) const {
    // Weights, gradients and two Adam moments per parameter, plus the output activations of a
    // batch (logits and their gradient).
    const auto hidden = m_config["hidden_dims"].get<std::vector<std::int64_t>>();
    const std::int64_t K = m_impl->latent;
    std::vector<std::int64_t> enc{items};
    enc.insert(enc.end(), hidden.begin(), hidden.end());
    enc.push_back(m_variational ? 2 * K : K);
    std::vector<std::int64_t> dec{K};
    dec.insert(dec.end(), hidden.rbegin(), hidden.rend());
    dec.push_back(items);
    double params = 0;
    for (const auto* dims : {&enc, &dec})
        for (std::size_t j = 0; j + 1 < dims->size(); ++j)
            params += static_cast<double>((*dims)[j] + 1) * static_cast<double>((*dims)[j + 1]);
    return 16.0 * params +
           8.0 * static_cast<double>(m_impl->batchSize) * static_cast<double>(items);
}

std::vector<float>& MultVae::parameter(const std::string& name) {
    for (nn::Dense* l : m_impl->layers()) {
        if (name == l->name + ".W") return l->W;
        if (name == l->name + ".b") return l->b;
    }
    fail("no parameter '" + name + "' in " + info().id);
}

LossTerms MultVae::batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                             std::uint64_t noiseSeed, bool training, double beta,
                             TensorMap* gradient) const {
    auto& im = *m_impl;
    Impl::Pass pass;
    pass.batch = nn::makeBatch(rows, nullptr, begin, end, training ? im.dropout : 0.0f, noiseSeed);
    im.forward(pass, training, noiseSeed, true);
    // lossAndBackward writes gradients into the layers: the const_cast is confined to this
    // test hook, which leaves parameters untouched.
    auto& mut = const_cast<Impl&>(im);
    const LossTerms t = mut.lossAndBackward(pass, beta, gradient != nullptr);
    if (gradient) {
        gradient->clear();
        for (const nn::Dense* l : im.layers()) {
            std::vector<float> gW = l->gW;
            if (im.l2 > 0)
                for (std::size_t k = 0; k < gW.size(); ++k) gW[k] += 2.0f * im.l2 * l->W[k];
            (*gradient)[l->name + ".W"] = nn::toTensor(gW, l->in, l->out);
            (*gradient)[l->name + ".b"] = nn::toTensor(l->gb, 1, l->out);
        }
    }
    return t;
}

}  // namespace vaecf::core
