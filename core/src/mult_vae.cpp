// SPDX-License-Identifier: MIT
// Mult-VAE / Mult-DAE: see mult_vae.h for the objective. Gradients below are those of the
// batch loss L (means over the batch), written layer by layer in reverse.
#include "vaecf/mult_vae.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

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

    // Activations of one forward pass.
    struct Pass {
        nn::SparseBatch batch;
        std::vector<std::vector<float>> encOut;  // output of each encoder layer (after tanh
                                                 // where the layer has one)
        std::vector<float> eps, z, mu, logVar;
        std::vector<std::vector<float>> decOut;  // output of each decoder layer; last = logits
    };

    double beta() const {
        if (!variational) return 0;
        return annealed ? std::min(cap, static_cast<double>(updates) / annealSteps) : cap;
    }

    bool encTanh(std::size_t j) const { return j + 1 < enc.size() || !variational; }

    // Forward pass on pass.batch. sample: z = μ + ε σ (VAE) with ε from noiseSeed.
    void forward(Pass& p, bool sample, std::uint64_t noiseSeed) const {
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
        p.decOut.resize(dec.size());
        const float* x = p.z.data();
        for (std::size_t j = 0; j < dec.size(); ++j) {
            auto& out = p.decOut[j];
            out.resize(static_cast<std::size_t>(B * dec[j].out));
            nn::denseForward(x, B, dec[j], out.data());
            if (j + 1 < dec.size()) nn::tanhInPlace(out.data(), static_cast<std::int64_t>(out.size()));
            x = out.data();
        }
    }

    // Loss of the pass (logits are overwritten by the gradient when grad is true) and, with
    // grad, the parameter gradients in the layers' gW/gb.
    LossTerms lossAndBackward(Pass& p, double betaNow, bool grad) {
        const std::int64_t B = p.batch.rows;
        const float invB = 1.0f / static_cast<float>(B);
        auto& logits = p.decOut.back();
        LossTerms t;
        t.recon = nn::multinomialNll(logits.data(), p.batch, numItems(), grad, invB) / B;
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
        std::vector<float> d = std::move(logits), dPrev;
        for (std::size_t jj = dec.size(); jj-- > 0;) {
            const float* x = jj == 0 ? p.z.data() : p.decOut[jj - 1].data();
            dPrev.resize(static_cast<std::size_t>(B * dec[jj].in));
            nn::denseBackward(x, d.data(), B, dec[jj], dPrev.data());
            if (jj > 0)
                nn::tanhBackward(p.decOut[jj - 1].data(), dPrev.data(),
                                 static_cast<std::int64_t>(dPrev.size()));
            std::swap(d, dPrev);
        }
        logits.clear();  // moved from
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
    Rng rng(mixSeed(seed, 0x1417));
    im.enc.assign(encDims.size() - 1, {});
    for (std::size_t j = 0; j + 1 < encDims.size(); ++j) {
        im.enc[j].name = "enc" + std::to_string(j);
        im.enc[j].allocate(encDims[j], encDims[j + 1]);
        im.enc[j].initXavier(rng);
    }
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
    for (std::int64_t b = 0; b < batches; ++b) {
        if (stop.stop_requested()) {
            stats.stopped = true;
            break;
        }
        const std::int64_t begin = b * im.batchSize, end = std::min(N, begin + im.batchSize);
        const std::uint64_t noise = mixSeed(im.seed, 0xBA7C4, static_cast<std::uint64_t>(im.updates));
        pass.batch = nn::makeBatch(train, order.data(), begin, end, im.dropout, noise);
        const double beta = im.beta();
        im.forward(pass, true, noise);
        const LossTerms t = im.lossAndBackward(pass, beta, true);
        ++im.updates;
        for (nn::Dense* l : im.layers()) im.adam.step(*l, im.updates, 2.0f * im.l2);
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
    const std::int64_t u = m_impl->updates;
    m["updates"] = Tensor{1, 2, {static_cast<float>(u >> 24), static_cast<float>(u & 0xFFFFFF)}};
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
    if (full) {
        const auto& u = requireTensor(state, "updates", 1, 2).data;
        m_impl->updates = (static_cast<std::int64_t>(u[0]) << 24) + static_cast<std::int64_t>(u[1]);
    }
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
    im.forward(pass, training, noiseSeed);
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
