// SPDX-License-Identifier: MIT
// BiVAE (models.md §9), after Cornac's bivae.py. Each side (users, items) has an encoder whose
// first layer reads the binarized row sparsely and whose head gives [μ | s] with σ = sigmoid(s),
// a table of samples (theta or beta) and of means (mu_theta or mu_beta), an Adam optimizer and,
// with side features, a CAP prior layer. A side's batch loss reconstructs its rows against the
// other side's sample table: logits = z · tableᵀ, computed by column strips with the
// likelihood and its gradient fused into each strip, so no users x items matrix is ever held.
// Gradients below are those of the batch loss (means over the batch's rows).
#include "vaecf/bivae.h"

#include <algorithm>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "kernels/kernels.h"
#include "nn.h"
#include "vaecf/error.h"

namespace vaecf::core {

namespace {

enum class Act { Tanh, Sigmoid, Elu, Relu, Relu6 };
enum class Lik { Poisson, Bernoulli, Gaussian };

constexpr float kLogEps = 1e-10f;  // the reference's EPS inside the logarithms

ParamSpecs biVaeSpecs() {
    ParamSpecs s;
    s.push_back({"latent_dim", "Latent size", "K",
                 "Dimension of the user factors θ and the item factors β (bi-vae scripts: 20; "
                 "Cornac's class default: 10)",
                 "Architecture", ParamKind::Int, 1, 1024, false, 20, {}, 0});
    s.push_back({"encoder_dims", "Encoder layers", "",
                 "Hidden layer sizes of the user and the item encoder (bi-vae scripts: [40]; "
                 "Cornac's class default: [20])",
                 "Architecture", ParamKind::IntList, 1, 65536, false, nlohmann::json::array({40}),
                 {}, 8});
    s.push_back({"activation", "Activation", "",
                 "Activation after each hidden layer of both encoders (reference: tanh)",
                 "Architecture", ParamKind::Choice, 0, 0, false, "tanh",
                 {"tanh", "sigmoid", "elu", "relu", "relu6"}, 0});
    s.push_back({"likelihood", "Likelihood", "p(x|θ,β)",
                 "Distribution of an interaction given σ(θ·β), summed over the whole row: poisson "
                 "(reference default), bernoulli (suggested for implicit data) or gaussian",
                 "Architecture", ParamKind::Choice, 0, 0, false, "poisson",
                 {"poisson", "bernoulli", "gaussian"}, 0});
    s.push_back({"beta_kl", "KL weight", "β",
                 "Weight of the KL terms of both sides, as in β-VAE, constant (reference: 1)",
                 "Regularization", ParamKind::Real, 0, 10, false, 1.0, {}, 0});
    s.push_back({"learning_rate", "Learning rate", "η",
                 "Step size of the two Adam optimizers, users' and items' (reference: 1e-3)",
                 "Optimization", ParamKind::Real, 1e-7, 1, true, 1e-3, {}, 0});
    s.push_back({"batch_size", "Batch size", "",
                 "Users, and items, per update (bi-vae scripts: 128; Cornac's class default: 100)",
                 "Optimization", ParamKind::Int, 1, 1000000, true, 128, {}, 0});
    return s;
}

Act parseAct(const std::string& a) {
    if (a == "sigmoid") return Act::Sigmoid;
    if (a == "elu") return Act::Elu;
    if (a == "relu") return Act::Relu;
    if (a == "relu6") return Act::Relu6;
    return Act::Tanh;
}

Lik parseLik(const std::string& l) {
    if (l == "bernoulli") return Lik::Bernoulli;
    if (l == "gaussian") return Lik::Gaussian;
    return Lik::Poisson;
}

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// log σ(s) = -softplus(-s), finite where σ(s) underflows (the reference would give -inf).
float logSigmoid(float s) { return s >= 0 ? -std::log1p(std::exp(-s)) : s - std::log1p(std::exp(s)); }

template <class F>
void forEach(std::int64_t n, const F& f) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n, 1 << 13), [&](const auto& r) {
        for (std::int64_t i = r.begin(); i < r.end(); ++i) f(i);
    });
}

// tanh(x) = sign(x) (1 - e) / (1 + e) with e = exp(-2|x|) from the kernels' vectorized exp
// (within 2 ulp, no overflow): a few times faster than std::tanh, which dominated the
// encoders' cost; the absolute error stays below 1e-7.
void tanhFast(float* x, std::int64_t n) {
    constexpr std::int64_t kChunk = 512;
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, chunks, 16), [&](const auto& range) {
        float e[kChunk];
        for (std::int64_t c = range.begin(); c < range.end(); ++c) {
            float* v = x + c * kChunk;
            const std::int64_t m = std::min(kChunk, n - c * kChunk);
            for (std::int64_t i = 0; i < m; ++i) e[i] = -2.0f * std::abs(v[i]);
            kernels::expShiftSum(e, m, 0.0f);
            for (std::int64_t i = 0; i < m; ++i)
                v[i] = std::copysign((1.0f - e[i]) / (1.0f + e[i]), v[i]);
        }
    });
}

void activate(Act a, float* x, std::int64_t n) {
    switch (a) {
    case Act::Tanh: return tanhFast(x, n);
    case Act::Sigmoid: return forEach(n, [&](std::int64_t i) { x[i] = sigmoid(x[i]); });
    case Act::Elu: return forEach(n, [&](std::int64_t i) { if (x[i] <= 0) x[i] = std::expm1(x[i]); });
    case Act::Relu: return forEach(n, [&](std::int64_t i) { x[i] = std::max(x[i], 0.0f); });
    case Act::Relu6: return forEach(n, [&](std::int64_t i) { x[i] = std::clamp(x[i], 0.0f, 6.0f); });
    }
}

// d *= act'(pre-activation), written through the activation's output h.
void activateBackward(Act a, const float* h, float* d, std::int64_t n) {
    switch (a) {
    case Act::Tanh: return nn::tanhBackward(h, d, n);
    case Act::Sigmoid: return forEach(n, [&](std::int64_t i) { d[i] *= h[i] * (1.0f - h[i]); });
    case Act::Elu: return forEach(n, [&](std::int64_t i) { if (h[i] <= 0) d[i] *= h[i] + 1.0f; });
    case Act::Relu: return forEach(n, [&](std::int64_t i) { if (h[i] <= 0) d[i] = 0; });
    case Act::Relu6:
        return forEach(n, [&](std::int64_t i) { if (h[i] <= 0 || h[i] >= 6) d[i] = 0; });
    }
}

// PyTorch's nn.Linear initialization, which Cornac keeps: W and b ~ U(±1/√fan_in).
void initLinear(nn::Dense& l, Rng& rng) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(l.in));
    for (auto* v : {&l.W, &l.b})
        for (float& w : *v) w = static_cast<float>((rng.uniform() * 2.0 - 1.0) * bound);
}

// Rows [begin, end) of m as the first layer reads them: every stored entry becomes 1, as the
// reference binarizes its matrix (no normalization, no dropout).
nn::SparseBatch binaryBatch(const CsrMatrix& m, std::int64_t begin, std::int64_t end) {
    nn::SparseBatch s;
    s.rows = end - begin;
    s.ptr.resize(static_cast<std::size_t>(s.rows) + 1);
    const std::int64_t o = m.indptr[begin];
    for (std::int64_t r = 0; r <= s.rows; ++r) s.ptr[r] = m.indptr[begin + r] - o;
    s.idx.assign(m.indices.begin() + o, m.indices.begin() + m.indptr[end]);
    s.input.assign(s.idx.size(), 1.0f);
    s.raw = s.input;
    s.count.resize(static_cast<std::size_t>(s.rows));
    for (std::int64_t r = 0; r < s.rows; ++r) s.count[r] = static_cast<float>(s.ptr[r + 1] - s.ptr[r]);
    return s;
}

// The binarized transpose (items x users) of a users x items matrix, users ascending per row.
CsrMatrix transposeBinary(const CsrMatrix& m) {
    CsrMatrix t;
    t.rows = m.cols;
    t.cols = m.rows;
    t.indptr.assign(static_cast<std::size_t>(t.rows) + 1, 0);
    for (std::int32_t c : m.indices) ++t.indptr[c + 1];
    for (std::int64_t i = 0; i < t.rows; ++i) t.indptr[i + 1] += t.indptr[i];
    t.indices.resize(m.indices.size());
    std::vector<std::int64_t> fill(t.indptr.begin(), t.indptr.end() - 1);
    for (std::int64_t u = 0; u < m.rows; ++u)
        for (std::int64_t k = m.indptr[u]; k < m.indptr[u + 1]; ++k)
            t.indices[fill[m.indices[k]]++] = static_cast<std::int32_t>(u);
    t.values.assign(t.indices.size(), 1.0f);
    return t;
}

// The log-likelihood terms as the reference writes them (ε inside the logarithms), for an
// interaction (x = 1) or none (x = 0) at p = σ(l), and their derivatives with respect to l
// (s = p(1 - p) = dp/dl).
template <Lik L>
inline float termZero(float p) {
    if constexpr (L == Lik::Poisson) return -p;
    else if constexpr (L == Lik::Bernoulli) return std::log(1.0f - p + kLogEps);
    else return -p * p;
}
template <Lik L>
inline float gradZero(float p) {
    const float s = p * (1.0f - p);
    if constexpr (L == Lik::Poisson) return -s;
    else if constexpr (L == Lik::Bernoulli) return -s / (1.0f - p + kLogEps);
    else return -2.0f * p * s;
}
template <Lik L>
inline float termOne(float p) {
    if constexpr (L == Lik::Poisson) return std::log(p + kLogEps) - p;
    else if constexpr (L == Lik::Bernoulli) return std::log(p + kLogEps);
    else return -(1.0f - p) * (1.0f - p);
}
template <Lik L>
inline float gradOne(float p) {
    const float s = p * (1.0f - p);
    if constexpr (L == Lik::Poisson) return s / (p + kLogEps) - s;
    else if constexpr (L == Lik::Bernoulli) return s / (p + kLogEps);
    else return 2.0f * (1.0f - p) * s;
}

// Σ_j of x = 0 terms over e[0, n) holding exp(-l); with G, e[j] becomes -scale ∂f/∂l. Eight
// float lanes so that the loop vectorizes (it holds no call for Poisson and Gaussian).
template <Lik L, bool G>
double zeroTerms(float* e, std::int64_t n, float scale) {
    float acc[8] = {};
    std::int64_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int k = 0; k < 8; ++k) {
            const float p = 1.0f / (1.0f + e[j + k]);
            acc[k] += termZero<L>(p);
            if constexpr (G) e[j + k] = -scale * gradZero<L>(p);
        }
    double sum = 0;
    for (; j < n; ++j) {
        const float p = 1.0f / (1.0f + e[j]);
        sum += termZero<L>(p);
        if constexpr (G) e[j] = -scale * gradZero<L>(p);
    }
    for (float a : acc) sum += a;
    return sum;
}

// Σ over the columns [j0, j0 + n) of one row of the log-likelihood given the logits l there;
// the row's interactions in the strip are [nz, nzEnd) (sorted). With grad, l becomes
// -scale ∂ll/∂l. pOne: scratch.
template <Lik L>
double stripLikelihood(float* l, std::int64_t j0, std::int64_t n, const std::int32_t* nz,
                       const std::int32_t* nzEnd, float scale, bool grad,
                       std::vector<float>& pOne) {
    // σ(l) = 1 / (1 + exp(-l)) with the vectorized exp of the kernels.
    for (std::int64_t j = 0; j < n; ++j) l[j] = -l[j];
    kernels::expShiftSum(l, n, 0.0f);
    pOne.clear();
    for (const std::int32_t* it = nz; it != nzEnd; ++it) pOne.push_back(1.0f / (1.0f + l[*it - j0]));
    double sum = grad ? zeroTerms<L, true>(l, n, scale) : zeroTerms<L, false>(l, n, scale);
    for (std::size_t k = 0; k < pOne.size(); ++k) {
        const float p = pOne[k];
        sum += static_cast<double>(termOne<L>(p)) - termZero<L>(p);
        if (grad) l[nz[k] - j0] = -scale * gradOne<L>(p);
    }
    return sum;
}

}  // namespace

const ModelInfo& biVaeInfo() {
    static const ModelInfo info{
        "bivae", "BiVAE", "Truong, Salah & Lauw, WSDM 2021",
        "Bilateral VAE: user and item encoders, a sigmoid inner-product decoder, sides trained in "
        "alternation (500 epochs as the bi-vae scripts; Cornac's class default: 100)",
        ModelFamily::TwoSided, biVaeSpecs()};
    return info;
}

struct BiVae::Impl {
    // One side of the model: users (reconstructed against beta) or items (against theta).
    struct Side {
        std::string name;               // "user" / "item"
        std::vector<nn::Dense> layers;  // hidden layers, then the head: [μ | s], σ = sigmoid(s)
        nn::Dense prior;                // CAP: μ_prior = f W + b; in == 0 when off
        Tensor features;                // CAP features, one row per user / item
        nn::Adam adam;
        std::int64_t steps = 0;         // this side's Adam steps
        std::vector<std::int32_t> touched, readRows;
        std::vector<char> mark;         // scratch of readRows
        std::vector<float> sample, mean;  // rows x K: theta / mu_theta or beta / mu_beta
        bool cap() const { return prior.in > 0; }
        std::vector<nn::Dense*> all() {
            std::vector<nn::Dense*> v;
            for (auto& l : layers) v.push_back(&l);
            if (cap()) v.push_back(&prior);
            return v;
        }
        std::vector<const nn::Dense*> all() const {
            std::vector<const nn::Dense*> v;
            for (auto& l : layers) v.push_back(&l);
            if (cap()) v.push_back(&prior);
            return v;
        }
    };

    struct Pass {
        nn::SparseBatch x;
        std::vector<std::vector<float>> h;  // output of each layer (activated); last = head
        std::vector<float> mu, sigma, eps, z, priorMu;  // B x K
        std::vector<float> g;               // B x W logits, then dL/dlogits
        std::vector<double> stripLl;        // B x strips partial log-likelihoods
    };

    int K = 20;
    std::vector<std::int64_t> hidden;
    Act act = Act::Tanh;
    Lik lik = Lik::Poisson;
    double betaKl = 1.0;
    std::int64_t batchSize = 128;
    std::uint64_t seed = 0;
    Side user, item;
    // The binarized transpose of the training matrix (the item encoder's input), and what it
    // was built from.
    CsrMatrix itemRows;
    std::int64_t builtRows = -1, builtNnz = -1;
    const std::int32_t* builtFrom = nullptr;

    Impl() {
        user.name = "user";
        item.name = "item";
    }

    void allocateSide(Side& s, std::int64_t inputs, std::int64_t rows, Rng& rng) {
        std::vector<std::int64_t> dims{inputs};
        dims.insert(dims.end(), hidden.begin(), hidden.end());
        dims.push_back(2 * K);
        s.layers.assign(dims.size() - 1, {});
        for (std::size_t j = 0; j + 1 < dims.size(); ++j) {
            nn::Dense& l = s.layers[j];
            l.name = s.name + (j + 2 < dims.size() ? ".fc" + std::to_string(j) : ".head");
            l.allocate(dims[j], dims[j + 1]);
            initLinear(l, rng);
        }
        s.layers[0].rowStep.assign(static_cast<std::size_t>(inputs), 0);
        s.prior = {};
        if (!s.features.data.empty()) {
            s.prior.name = s.name + ".prior";
            s.prior.allocate(s.features.cols, K);
            initLinear(s.prior, rng);
        }
        s.steps = 0;
        s.touched.clear();
        s.sample.assign(static_cast<std::size_t>(rows * K), 0.0f);
        s.mean.assign(s.sample.size(), 0.0f);
    }

    void ensureItemRows(const CsrMatrix& train) {
        if (builtRows == train.rows && builtNnz == train.nnz() && builtFrom == train.indices.data())
            return;
        itemRows = transposeBinary(train);
        builtRows = train.rows;
        builtNnz = train.nnz();
        builtFrom = train.indices.data();
    }

    // Encoder forward on p.x: μ, σ and z = μ + ε σ (sample, ε from noise) or z = μ.
    void encode(const Side& s, Pass& p, bool sample, std::uint64_t noise) const {
        const std::int64_t B = p.x.rows;
        const std::size_t L = s.layers.size();
        p.h.resize(L);
        for (std::size_t j = 0; j < L; ++j) {
            auto& out = p.h[j];
            out.resize(static_cast<std::size_t>(B * s.layers[j].out));
            if (j == 0)
                nn::sparseForward(p.x, s.layers[0], out.data());
            else
                nn::denseForward(p.h[j - 1].data(), B, s.layers[j], out.data());
            if (j + 1 < L) activate(act, out.data(), static_cast<std::int64_t>(out.size()));
        }
        const auto& head = p.h.back();
        const std::size_t n = static_cast<std::size_t>(B * K);
        p.mu.resize(n);
        p.sigma.resize(n);
        p.z.resize(n);
        p.eps.assign(n, 0.0f);
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, B, 32), [&](const auto& range) {
            for (std::int64_t r = range.begin(); r < range.end(); ++r) {
                Rng rng(mixSeed(noise, static_cast<std::uint64_t>(r), 0xB1E));
                for (std::int64_t d = 0; d < K; ++d) {
                    const std::int64_t i = r * K + d;
                    p.mu[i] = head[r * 2 * K + d];
                    p.sigma[i] = sigmoid(head[r * 2 * K + K + d]);
                    if (sample) p.eps[i] = static_cast<float>(rng.normal());
                    p.z[i] = p.mu[i] + p.eps[i] * p.sigma[i];
                }
            }
        });
    }

    // logits = z · tableᵀ (W columns) in strips, each strip turned into its log-likelihood
    // and, with grad, into dL/dlogits = -scale ∂ll/∂l while in cache.
    template <Lik L>
    void likelihood(Pass& p, const float* table, std::int64_t W, float scale, bool grad) const {
        const std::int64_t B = p.x.rows;
        const std::int64_t width = kernels::sgemmStripWidth(W);
        const std::int64_t S = (W + width - 1) / width;
        p.g.resize(static_cast<std::size_t>(B * W));
        p.stripLl.assign(static_cast<std::size_t>(B * S), 0.0);
        const nn::SparseBatch& x = p.x;
        kernels::sgemmStrips(false, true, B, W, K, 1.0f, p.z.data(), K, table, K, 0.0f,
                             p.g.data(), W, [&](std::int64_t j0, std::int64_t j1) {
            std::vector<float> pOne;
            for (std::int64_t r = 0; r < B; ++r) {
                const std::int32_t* first = x.idx.data() + x.ptr[r];
                const std::int32_t* last = x.idx.data() + x.ptr[r + 1];
                const std::int32_t* nz = std::lower_bound(first, last, static_cast<std::int32_t>(j0));
                const std::int32_t* nzEnd = std::lower_bound(nz, last, static_cast<std::int32_t>(j1));
                p.stripLl[r * S + j0 / width] = stripLikelihood<L>(
                    p.g.data() + r * W + j0, j0, j1 - j0, nz, nzEnd, scale, grad, pOne);
            }
        });
    }

    // The batch loss of p (encoded) reconstructed against `table` (W rows), and with grad the
    // gradients of the side's layers in their gW/gb. feat: the batch's CAP features (B x f).
    LossTerms lossAndBackward(Side& s, Pass& p, const float* table, std::int64_t W,
                              const float* feat, double beta, bool grad) {
        const std::int64_t B = p.x.rows;
        const std::size_t n = static_cast<std::size_t>(B * K);
        const float scale = 1.0f / static_cast<float>(B);
        p.priorMu.assign(n, 0.0f);
        if (s.cap()) nn::denseForward(feat, B, s.prior, p.priorMu.data());
        switch (lik) {
        case Lik::Poisson: likelihood<Lik::Poisson>(p, table, W, scale, grad); break;
        case Lik::Bernoulli: likelihood<Lik::Bernoulli>(p, table, W, scale, grad); break;
        case Lik::Gaussian: likelihood<Lik::Gaussian>(p, table, W, scale, grad); break;
        }
        const std::int64_t S = B > 0 ? static_cast<std::int64_t>(p.stripLl.size()) / B : 0;
        double ll = 0, kl = 0;
        for (std::int64_t r = 0; r < B; ++r) {
            for (std::int64_t k = 0; k < S; ++k) ll += p.stripLl[r * S + k];
            for (std::int64_t d = 0; d < K; ++d) {
                const std::int64_t i = r * K + d;
                const double diff = static_cast<double>(p.mu[i]) - p.priorMu[i];
                const double sg = p.sigma[i];
                const double logS = logSigmoid(p.h.back()[r * 2 * K + K + d]);
                kl += -0.5 * (1.0 + 2.0 * logS - diff * diff - sg * sg);
            }
        }
        LossTerms t;
        t.recon = -ll / static_cast<double>(B);
        t.kl = kl / static_cast<double>(B);
        t.beta = beta;
        t.loss = t.recon + beta * t.kl;
        if (!grad) return t;

        // dL/dz = G · table, then through z = μ + ε σ and the KL to the head [μ | s].
        std::vector<float> dz(n);
        kernels::sgemm(false, false, B, K, W, 1.0f, p.g.data(), W, table, K, 0.0f, dz.data(), K);
        const float bk = static_cast<float>(beta) * scale;
        std::vector<float> d(static_cast<std::size_t>(B * 2 * K)), dPrior(n);
        for (std::int64_t r = 0; r < B; ++r)
            for (std::int64_t k = 0; k < K; ++k) {
                const std::int64_t i = r * K + k;
                const float sg = p.sigma[i], diff = p.mu[i] - p.priorMu[i];
                d[r * 2 * K + k] = dz[i] + bk * diff;
                // ∂KL/∂s = (σ - 1/σ) σ(1 - σ) = -(1 - σ)² (1 + σ).
                d[r * 2 * K + K + k] = dz[i] * p.eps[i] * sg * (1.0f - sg) -
                                       bk * (1.0f - sg) * (1.0f - sg) * (1.0f + sg);
                dPrior[i] = -bk * diff;
            }
        if (s.cap()) nn::denseBackward(feat, dPrior.data(), B, s.prior, nullptr);
        std::vector<float> dPrev;
        for (std::size_t jj = s.layers.size(); jj-- > 0;) {
            if (jj + 1 < s.layers.size())
                activateBackward(act, p.h[jj].data(), d.data(), static_cast<std::int64_t>(d.size()));
            if (jj == 0) {
                nn::sparseBackward(p.x, d.data(), s.layers[0], s.touched);
            } else {
                dPrev.resize(static_cast<std::size_t>(B * s.layers[jj].in));
                nn::denseBackward(p.h[jj - 1].data(), d.data(), B, s.layers[jj], dPrev.data());
                std::swap(d, dPrev);
            }
        }
        return t;
    }

    // Distinct first-layer rows the batch reads, ascending.
    static void inputRows(const nn::SparseBatch& b, Side& s) {
        s.mark.resize(static_cast<std::size_t>(s.layers[0].in));
        for (std::int32_t i : b.idx) s.mark[i] = 1;
        s.readRows.clear();
        for (std::size_t i = 0; i < s.mark.size(); ++i)
            if (s.mark[i]) {
                s.readRows.push_back(static_cast<std::int32_t>(i));
                s.mark[i] = 0;
            }
    }

    const float* featuresOf(const Side& s, std::int64_t begin) const {
        return s.cap() ? s.features.data.data() + begin * s.features.cols : nullptr;
    }

    // One update of side s on rows [begin, end) of m against `table` (W rows): the reference's
    // encode → sample → loss → Adam step → re-encode, storing the new sample and mean rows.
    LossTerms trainBatch(Side& s, Pass& p, const CsrMatrix& m, std::int64_t begin,
                         std::int64_t end, const float* table, std::int64_t W,
                         std::uint64_t sideTag) {
        const std::uint64_t noise = mixSeed(seed, sideTag, static_cast<std::uint64_t>(s.steps));
        p.x = binaryBatch(m, begin, end);
        inputRows(p.x, s);
        s.adam.catchUp(s.layers[0], &s.readRows, s.steps, 0.0f);
        encode(s, p, true, noise);
        const LossTerms t = lossAndBackward(s, p, table, W, featuresOf(s, begin), betaKl, true);
        const std::int64_t step = ++s.steps;
        s.adam.stepLazy(s.layers[0], s.touched, step, 0.0f);
        for (std::size_t j = 1; j < s.layers.size(); ++j) s.adam.step(s.layers[j], step, 0.0f);
        if (s.cap()) s.adam.step(s.prior, step, 0.0f);
        encode(s, p, true, mixSeed(noise, 1));
        std::copy(p.z.begin(), p.z.end(), s.sample.begin() + begin * K);
        std::copy(p.mu.begin(), p.mu.end(), s.mean.begin() + begin * K);
        return t;
    }

    // Posterior means (and log σ² when logVar is given) of rows [begin, end) of m.
    void means(const Side& s, const CsrMatrix& m, std::int64_t begin, std::int64_t end, float* mu,
               float* logVar) const {
        constexpr std::int64_t kChunk = 1024;
        Pass p;
        for (std::int64_t b0 = begin; b0 < end; b0 += kChunk) {
            const std::int64_t b1 = std::min(end, b0 + kChunk);
            p.x = binaryBatch(m, b0, b1);
            encode(s, p, false, 0);
            std::copy(p.mu.begin(), p.mu.end(), mu + (b0 - begin) * K);
            if (!logVar) continue;
            const auto& head = p.h.back();
            for (std::int64_t r = 0; r < b1 - b0; ++r)
                for (std::int64_t d = 0; d < K; ++d)
                    logVar[(b0 - begin + r) * K + d] = 2.0f * logSigmoid(head[r * 2 * K + K + d]);
        }
    }

    // Features must match the side's rows and prior layer (the prior exists exactly when
    // features were given before initialize, or was restored from a state).
    void checkFeatures(const Side& s, std::int64_t rows, const std::string& what) const {
        const std::string kind = s.name == "user" ? "users" : "items";
        if (!s.features.data.empty()) {
            if (s.features.rows != rows)
                fail(what + ": the " + s.name + " side features have " +
                     std::to_string(s.features.rows) + " rows, the training matrix " +
                     std::to_string(rows) + " " + kind);
            if (!s.cap())
                fail(what + ": give the " + s.name + " side features before initialize()");
            if (s.prior.in != s.features.cols)
                fail(what + ": the " + s.name + " side features have " +
                     std::to_string(s.features.cols) + " columns, the " + s.name + " prior " +
                     std::to_string(s.prior.in));
        } else if (s.cap()) {
            fail(what + ": the model has a " + s.name + " prior (CAP) but no " + s.name +
                 " side features; give them with setSideFeatures()");
        }
    }

    std::vector<Side*> sides() { return {&user, &item}; }
    std::vector<const Side*> sides() const { return {&user, &item}; }
};

BiVae::BiVae(const Config& config) : m_impl(std::make_unique<Impl>()) {
    m_config = validateConfig(info().params, config, info().id);
    auto& im = *m_impl;
    im.K = m_config["latent_dim"].get<int>();
    im.hidden = m_config["encoder_dims"].get<std::vector<std::int64_t>>();
    im.act = parseAct(m_config["activation"].get<std::string>());
    im.lik = parseLik(m_config["likelihood"].get<std::string>());
    im.betaKl = m_config["beta_kl"].get<double>();
    im.batchSize = m_config["batch_size"].get<std::int64_t>();
    const float lr = m_config["learning_rate"].get<float>();
    im.user.adam.lr = lr;
    im.item.adam.lr = lr;
}

BiVae::~BiVae() = default;

const ModelInfo& BiVae::info() const { return biVaeInfo(); }

int BiVae::defaultEpochs() const { return 500; }

int BiVae::latentDim() const { return m_impl->K; }

void BiVae::setSideFeatures(const Tensor& userFeatures, const Tensor& itemFeatures) {
    for (const Tensor* t : {&userFeatures, &itemFeatures})
        if (static_cast<std::int64_t>(t->data.size()) != t->rows * t->cols)
            fail("bivae: the " + std::string(t == &userFeatures ? "user" : "item") +
                 " side features hold " + std::to_string(t->data.size()) + " values, not " +
                 std::to_string(t->rows) + " x " + std::to_string(t->cols));
    m_impl->user.features = userFeatures;
    m_impl->item.features = itemFeatures;
}

void BiVae::initialize(const CsrMatrix& train, std::uint64_t seed) {
    const std::string what = "cannot initialize " + info().id;
    if (train.cols <= 0) fail(what + ": the training matrix has no items");
    if (train.rows <= 0) fail(what + ": the training matrix has no users");
    auto& im = *m_impl;
    for (Impl::Side* s : im.sides())
        if (!s->features.data.empty() &&
            s->features.rows != (s == &im.user ? train.rows : train.cols))
            fail("bivae: the " + s->name + " side features have " +
                 std::to_string(s->features.rows) + " rows, the training matrix " +
                 std::to_string(s == &im.user ? train.rows : train.cols) + " " + s->name + "s");
    checkMemory(info().id, memoryEstimate(train.rows, train.cols, train.nnz()),
                "lower encoder_dims, latent_dim or batch_size");
    m_numItems = train.cols;
    m_numUsers = train.rows;
    im.seed = seed;
    Rng userRng(mixSeed(seed, 0xB1A1)), itemRng(mixSeed(seed, 0xB1A2));
    im.allocateSide(im.user, m_numItems, m_numUsers, userRng);
    im.allocateSide(im.item, m_numUsers, m_numItems, itemRng);
    // The reference: beta ~ 0.01 N(0, 1); theta Kaiming-uniform with a = √5 (U(±1/√K)).
    Rng tables(mixSeed(seed, 0x7AB1E));
    const double bound = 1.0 / std::sqrt(static_cast<double>(im.K));
    for (float& v : im.user.sample) v = static_cast<float>((tables.uniform() * 2.0 - 1.0) * bound);
    for (float& v : im.item.sample) v = static_cast<float>(0.01 * tables.normal());
    im.builtRows = -1;
    im.ensureItemRows(train);
}

EpochStats BiVae::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                             std::stop_token stop) {
    const std::string what = "train " + info().id;
    if (!initialized()) fail(what + ": the model is not initialized");
    if (train.cols != m_numItems)
        fail(what + ": the matrix has " + std::to_string(train.cols) + " items, the model " +
             std::to_string(m_numItems));
    if (train.rows != m_numUsers)
        fail(what + ": the matrix has " + std::to_string(train.rows) + " users, the model " +
             std::to_string(m_numUsers) + " (the item encoder reads one input per training user)");
    auto& im = *m_impl;
    im.checkFeatures(im.user, m_numUsers, what);
    im.checkFeatures(im.item, m_numItems, what);
    im.ensureItemRows(train);

    const std::int64_t bs = im.batchSize;
    const std::int64_t itemBatches = (m_numItems + bs - 1) / bs;
    const std::int64_t userBatches = (m_numUsers + bs - 1) / bs;
    const std::int64_t batches = itemBatches + userBatches;
    EpochStats stats;
    Impl::Pass pass;
    std::int64_t userDone = 0;
    for (std::int64_t b = 0; b < batches; ++b) {
        if (stop.stop_requested()) {
            stats.stopped = true;
            break;
        }
        const bool itemSide = b < itemBatches;
        const std::int64_t begin = (itemSide ? b : b - itemBatches) * bs;
        LossTerms t;
        if (itemSide)
            t = im.trainBatch(im.item, pass, im.itemRows, begin, std::min(m_numItems, begin + bs),
                              im.user.sample.data(), m_numUsers, 0x17E5);
        else
            t = im.trainBatch(im.user, pass, train, begin, std::min(m_numUsers, begin + bs),
                              im.item.sample.data(), m_numItems, 0x05E5);
        if (!itemSide) {
            stats.mean.loss += t.loss;
            stats.mean.recon += t.recon;
            stats.mean.kl += t.kl;
            ++userDone;
        }
        stats.mean.beta = t.beta;
        ++stats.batches;
        if (onBatch) onBatch({epoch, b, batches, im.user.steps + im.item.steps, t});
    }
    if (userDone > 0) {
        stats.mean.loss /= static_cast<double>(userDone);
        stats.mean.recon /= static_cast<double>(userDone);
        stats.mean.kl /= static_cast<double>(userDone);
    }
    // Bring every lazily updated row current, then refresh mu_beta from the item encoder as
    // the reference does after training, so that scoring always sees the current items.
    for (Impl::Side* s : im.sides()) s->adam.catchUp(s->layers[0], nullptr, s->steps, 0.0f);
    im.means(im.item, im.itemRows, 0, m_numItems, im.item.mean.data(), nullptr);
    stats.updates = im.user.steps + im.item.steps;
    return stats;
}

void BiVae::encode(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* mu,
                   float* logVar) const {
    if (!initialized()) fail("encode " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("encode: the rows have " + std::to_string(rows.cols) + " items, the model " +
             std::to_string(m_numItems));
    m_impl->means(m_impl->user, rows, begin, end, mu, logVar);
}

void BiVae::decode(const float* z, std::int64_t n, float* out) const {
    if (!initialized()) fail("decode " + info().id + ": the model is not trained");
    if (n < 0) fail("decode: negative point count " + std::to_string(n));
    if (n == 0) return;
    if (!z || !out) fail("decode: null latent points or output buffer");
    // Logits θ · βᵀ: the reference's σ(θ · βᵀ) is monotone in them, so rankings are the same,
    // and they keep apart the top items that σ rounds to 1.0f (logits above about 17).
    kernels::sgemm(false, true, n, m_numItems, m_impl->K, 1.0f, z, m_impl->K,
                   m_impl->item.mean.data(), m_impl->K, 0.0f, out, m_numItems);
}

void BiVae::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* out) const {
    if (!initialized()) fail("score " + info().id + ": the model is not trained");
    if (rows.cols != m_numItems)
        fail("score: the rows have " + std::to_string(rows.cols) + " items, the model " +
             std::to_string(m_numItems));
    if (end <= begin) return;
    // Fold-in: the user encoder's mean for the row (also for users unseen in training, which
    // the reference cannot score), decoded against mu_beta.
    std::vector<float> mu(static_cast<std::size_t>((end - begin) * m_impl->K));
    m_impl->means(m_impl->user, rows, begin, end, mu.data(), nullptr);
    decode(mu.data(), end - begin, out);
}

Tensor BiVae::itemEmbeddings() const {
    if (!initialized()) return {};
    return nn::toTensor(m_impl->item.mean, m_numItems, m_impl->K);
}

TensorMap BiVae::parameters() const {
    TensorMap m;
    for (const Impl::Side* s : m_impl->sides())
        for (const nn::Dense* l : s->all()) {
            m[l->name + ".W"] = nn::toTensor(l->W, l->in, l->out);
            m[l->name + ".b"] = nn::toTensor(l->b, 1, l->out);
        }
    m["mu_beta"] = nn::toTensor(m_impl->item.mean, m_numItems, m_impl->K);
    return m;
}

TensorMap BiVae::state() const {
    TensorMap m = parameters();
    const auto& im = *m_impl;
    for (const Impl::Side* s : im.sides()) {
        for (const nn::Dense* l : s->all()) {
            m[l->name + ".W.m"] = nn::toTensor(l->mW, l->in, l->out);
            m[l->name + ".W.v"] = nn::toTensor(l->vW, l->in, l->out);
            m[l->name + ".b.m"] = nn::toTensor(l->mb, 1, l->out);
            m[l->name + ".b.v"] = nn::toTensor(l->vb, 1, l->out);
        }
    }
    m["theta"] = nn::toTensor(im.user.sample, m_numUsers, im.K);
    m["mu_theta"] = nn::toTensor(im.user.mean, m_numUsers, im.K);
    m["beta"] = nn::toTensor(im.item.sample, m_numItems, im.K);  // mu_beta: in parameters()
    // Exact integers in float: each side's step counter in 24-bit halves.
    m["steps"] = Tensor{1, 4, std::vector<float>(4)};
    splitCounter24(static_cast<std::uint64_t>(im.user.steps), m["steps"].data.data(), 2);
    splitCounter24(static_cast<std::uint64_t>(im.item.steps), m["steps"].data.data() + 2, 2);
    // The seed of the sampling noise, so a state resumes the same draws whatever seed the
    // receiving model was initialized with.
    m["seed"] = Tensor{1, 3, std::vector<float>(3)};
    splitCounter24(im.seed, m["seed"].data.data(), 3);
    return m;
}

void BiVae::setState(const TensorMap& state) {
    if (!initialized()) fail("set state of " + info().id + ": initialize the model first");
    auto& im = *m_impl;
    const bool full = state.count("steps") > 0;
    for (Impl::Side* s : im.sides()) {
        // A prior saved with the model (a CAP model copied or loaded without its features).
        const auto prior = state.find(s->name + ".prior.W");
        if (!s->cap() && prior != state.end() && s->features.data.empty()) {
            // Its shape before anything is sized by it: K columns, and so rows the file's
            // data backs (a crafted R x 0 tensor would otherwise allocate 4 R K floats).
            requireTensor(state, s->name + ".prior.W", prior->second.rows, im.K);
            s->prior.name = s->name + ".prior";
            s->prior.allocate(prior->second.rows, im.K);
        }
        for (nn::Dense* l : s->all()) {
            l->W = requireTensor(state, l->name + ".W", l->in, l->out).data;
            l->b = requireTensor(state, l->name + ".b", 1, l->out).data;
            if (!full) continue;
            l->mW = requireTensor(state, l->name + ".W.m", l->in, l->out).data;
            l->vW = requireTensor(state, l->name + ".W.v", l->in, l->out).data;
            l->mb = requireTensor(state, l->name + ".b.m", 1, l->out).data;
            l->vb = requireTensor(state, l->name + ".b.v", 1, l->out).data;
        }
    }
    im.item.mean = requireTensor(state, "mu_beta", m_numItems, im.K).data;
    if (!full) return;
    im.user.sample = requireTensor(state, "theta", m_numUsers, im.K).data;
    im.user.mean = requireTensor(state, "mu_theta", m_numUsers, im.K).data;
    im.item.sample = requireTensor(state, "beta", m_numItems, im.K).data;
    const auto& st = requireTensor(state, "steps", 1, 4).data;
    im.user.steps = static_cast<std::int64_t>(joinCounter24(st.data(), 2, "steps"));
    im.item.steps = static_cast<std::int64_t>(joinCounter24(st.data() + 2, 2, "steps"));
    const auto& sd = requireTensor(state, "seed", 1, 3).data;
    im.seed = joinCounter24(sd.data(), 3, "seed");
    // The state holds caught-up rows (states are taken between epochs).
    for (Impl::Side* s : im.sides())
        std::fill(s->layers[0].rowStep.begin(), s->layers[0].rowStep.end(), s->steps);
}

double BiVae::memoryEstimate(std::int64_t users, std::int64_t items, std::int64_t nnz) const {
    const auto& im = *m_impl;
    // Per parameter: weight, gradient and two Adam moments.
    double params = 0;
    for (const std::int64_t inputs : {items, users}) {
        std::vector<std::int64_t> dims{inputs};
        dims.insert(dims.end(), im.hidden.begin(), im.hidden.end());
        dims.push_back(2 * im.K);
        for (std::size_t j = 0; j + 1 < dims.size(); ++j)
            params += static_cast<double>(dims[j] + 1) * static_cast<double>(dims[j + 1]);
    }
    for (const Impl::Side* s : im.sides())  // CAP priors, when features were given
        params += static_cast<double>(s->features.cols + 1) * im.K * !s->features.data.empty();
    const double u = static_cast<double>(users), i = static_cast<double>(items);
    const double tables = 4.0 * 4.0 * (u + i) * im.K;        // samples and means
    const double transpose = 8.0 * static_cast<double>(nnz) + 8.0 * (i + 1);
    const double lazy = 8.0 * (u + i);                        // Adam row steps
    const double batch = 4.0 * static_cast<double>(im.batchSize) * std::max(u, i) +  // logits
                         8.0 * std::max(u, i);  // the sparse backward's transpose
    return 16.0 * params + tables + transpose + lazy + batch;
}

std::vector<float>& BiVae::parameter(const std::string& name) {
    for (Impl::Side* s : m_impl->sides())
        for (nn::Dense* l : s->all()) {
            if (name == l->name + ".W") return l->W;
            if (name == l->name + ".b") return l->b;
        }
    if (name == "mu_beta") return m_impl->item.mean;
    fail("no parameter '" + name + "' in " + info().id);
}

LossTerms BiVae::batchLoss(const CsrMatrix& rows, std::int64_t begin, std::int64_t end,
                           std::uint64_t noiseSeed, bool training, double beta,
                           TensorMap* gradient) const {
    return sideLoss(false, rows, begin, end, noiseSeed, training, beta, gradient);
}

LossTerms BiVae::itemBatchLoss(const CsrMatrix& itemRows, std::int64_t begin, std::int64_t end,
                               std::uint64_t noiseSeed, bool training, double beta,
                               TensorMap* gradient) const {
    return sideLoss(true, itemRows, begin, end, noiseSeed, training, beta, gradient);
}

LossTerms BiVae::sideLoss(bool itemSide, const CsrMatrix& rows, std::int64_t begin,
                          std::int64_t end, std::uint64_t noiseSeed, bool training, double beta,
                          TensorMap* gradient) const {
    if (!initialized()) fail("loss of " + info().id + ": the model is not initialized");
    // The gradients land in the layers' gW/gb: the const_cast is confined to this test hook,
    // which leaves parameters and tables untouched.
    auto& im = const_cast<Impl&>(*m_impl);
    Impl::Side& s = itemSide ? im.item : im.user;
    const Impl::Side& other = itemSide ? im.user : im.item;
    const std::int64_t width = itemSide ? m_numUsers : m_numItems;
    const std::int64_t count = itemSide ? m_numItems : m_numUsers;
    if (rows.cols != width)
        fail("loss of " + info().id + ": the rows have " + std::to_string(rows.cols) +
             " columns, the " + s.name + " encoder reads " + std::to_string(width));
    im.checkFeatures(s, count, "loss of " + info().id);
    if (s.cap() && end > count)
        fail("loss of " + info().id + ": rows beyond the " + std::to_string(count) +
             " that have " + s.name + " side features");
    Impl::Pass p;
    p.x = binaryBatch(rows, begin, end);
    im.encode(s, p, training, noiseSeed);
    const LossTerms t = im.lossAndBackward(s, p, other.sample.data(), width,
                                           im.featuresOf(s, begin), beta, gradient != nullptr);
    if (gradient) {
        gradient->clear();
        for (const nn::Dense* l : s.all()) {
            (*gradient)[l->name + ".W"] = nn::toTensor(l->gW, l->in, l->out);
            (*gradient)[l->name + ".b"] = nn::toTensor(l->gb, 1, l->out);
        }
    }
    return t;
}

}  // namespace vaecf::core
