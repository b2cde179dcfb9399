// SPDX-License-Identifier: MIT
// EASE^R: see ease.h. The fit runs in float64 in four steps, each split into fixed blocks
// (never into per-thread shares), so B is bitwise the same for any thread count:
//   1. G = XᵀX + λI, one column per task, from the item -> users lists;
//   2. the Cholesky factor L of G, in place in G's lower triangle, blocked so that its
//      updates run in parallel over tiles (Eigen's own threading is off in this build, and
//      Eigen's LLT alone would leave the I³/3 flops on one core);
//   3. P = G⁻¹ in blocks of 64 columns. P is symmetric, so block [j0, j1) only solves rows
//      >= j0 (the rows above come from earlier blocks); those rows depend on the trailing
//      factor L[j0:, j0:] alone, so two triangular solves of size I - j0 give them, 2I³/3
//      flops in all instead of 2I³ for a solve with the full identity. Each block writes
//      its part of P into G's strict upper triangle, which the factor leaves free and the
//      solves never read, so G, L and P share one I x I matrix;
//   4. B_ij = -P_ij / P_jj, B_ii = 0 (negatives clipped with positive_only), to float.
#include "vaecf/ease.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "vaecf/error.h"

namespace vaecf::core {

namespace {

constexpr std::int64_t kSolveBlock = 64;  // columns of P per task
constexpr std::int64_t kTile = 64;        // rows and columns of B per tile when forming it
constexpr std::int64_t kPanel = 128;      // panel width and tile size of the Cholesky

ParamSpecs easeSpecs() {
    return {
        {"lambda", "L2 regularization", "λ",
         "Weight of λ‖B‖²_F (Steck: 500 on ML-20M, 1000 on Netflix, 200 on MSD)",
         "Regularization", ParamKind::Real, 1e-3, 1e7, true, 500.0, {}, 0},
        {"positive_only", "Non-negative weights", "",
         "Clip the negative weights of B to 0 after the closed form (Cornac's posB, on there "
         "by default; the paper keeps them)",
         "Regularization", ParamKind::Bool, 0, 1, false, false, {}, 0},
        {"binarize", "Binary input", "",
         "Count every stored interaction as 1, as the paper does; off: use the stored values",
         "Input", ParamKind::Bool, 0, 1, false, true, {}, 0},
    };
}

// out (I floats) = x_r B for row r of `rows` (x binarized when asked): the sum of B's rows
// of the row's items, in the row's item order.
void scoreRow(const CsrMatrix& rows, std::int64_t r, const float* B, std::int64_t I,
              bool binarize, float* out) {
    std::fill(out, out + I, 0.0f);
    for (std::int64_t k = rows.indptr[r]; k < rows.indptr[r + 1]; ++k) {
        const float w = binarize ? 1.0f : rows.values[k];
        const float* b = B + static_cast<std::int64_t>(rows.indices[k]) * I;
        for (std::int64_t j = 0; j < I; ++j) out[j] += w * b[j];
    }
}

// Blocked right-looking Cholesky G = L Lᵀ, L in place in G's lower triangle (the strict upper
// triangle is neither read nor written). Per panel: factor its diagonal block, solve the rows
// below it, then A22 -= A21 A21ᵀ on the lower tiles of the trailing matrix. The solves and
// updates run in parallel over fixed tiles, each tile updated by one task per panel, so the
// result does not depend on the thread count. False when `stop` fired.
bool cholesky(Eigen::MatrixXd& G, std::stop_token stop, double lambda) {
    const std::int64_t n = G.rows();
    std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
    for (std::int64_t k0 = 0; k0 < n; k0 += kPanel) {
        if (stop.stop_requested()) return false;
        const std::int64_t kb = std::min(kPanel, n - k0), r0 = k0 + kb;
        auto A11 = G.block(k0, k0, kb, kb);
        Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(A11);
        if (llt.info() != Eigen::Success)
            fail("train ease: XᵀX + λI is not numerically positive definite; raise lambda (now " +
                 std::to_string(lambda) + ")");
        const std::int64_t tiles = (n - r0 + kPanel - 1) / kPanel;
        const auto L11 = G.block(k0, k0, kb, kb).triangularView<Eigen::Lower>();
        tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, tiles, 1), [&](const auto& range) {
            for (std::int64_t t = range.begin(); t < range.end(); ++t) {
                const std::int64_t r = r0 + t * kPanel;
                L11.transpose().template solveInPlace<Eigen::OnTheRight>(
                    G.block(r, k0, std::min(kPanel, n - r), kb));
            }
        });
        pairs.clear();
        for (std::int64_t i = 0; i < tiles; ++i)
            for (std::int64_t j = 0; j <= i; ++j) pairs.emplace_back(i, j);
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, pairs.size(), 1), [&](const auto& range) {
            for (std::size_t p = range.begin(); p < range.end(); ++p) {
                const std::int64_t ri = r0 + pairs[p].first * kPanel, hi = std::min(kPanel, n - ri);
                const std::int64_t rj = r0 + pairs[p].second * kPanel, hj = std::min(kPanel, n - rj);
                if (ri == rj)
                    G.block(ri, ri, hi, hi).selfadjointView<Eigen::Lower>().rankUpdate(
                        G.block(ri, k0, hi, kb), -1.0);
                else
                    G.block(ri, rj, hi, hj).noalias() -=
                        G.block(ri, k0, hi, kb) * G.block(rj, k0, hj, kb).transpose();
            }
        });
    }
    return true;
}

// Wall time of the fit's phases, printed to stderr when VAECF_PROFILE is set (the O(I³)
// steps dominate on large item sets; this shows which).
class PhaseClock {
public:
    PhaseClock() : m_on(std::getenv("VAECF_PROFILE") != nullptr), m_last(Clock::now()) {}
    void lap(const char* phase) {
        if (!m_on) return;
        const auto now = Clock::now();
        m_line += std::string(m_line.empty() ? "" : ", ") + phase + " " +
                  std::to_string(std::chrono::duration<double>(now - m_last).count()) + "s";
        m_last = now;
    }
    ~PhaseClock() {
        if (m_on) std::fprintf(stderr, "[profile] ease fit: %s\n", m_line.c_str());
    }

private:
    using Clock = std::chrono::steady_clock;
    bool m_on;
    Clock::time_point m_last;
    std::string m_line;
};

}  // namespace

const ModelInfo& easeInfo() {
    static const ModelInfo info{"ease", "EASE", "Steck, WWW 2019",
                                "Closed-form item-item linear model with a zero diagonal "
                                "(EASE^R); needs items x items memory",
                                ModelFamily::ClosedForm, easeSpecs()};
    return info;
}

Ease::Ease(const Config& config) {
    m_config = validateConfig(info().params, config, info().id);
    m_lambda = m_config["lambda"].get<double>();
    m_positiveOnly = m_config["positive_only"].get<bool>();
    m_binarize = m_config["binarize"].get<bool>();
}

void Ease::initialize(const CsrMatrix& train, std::uint64_t) {
    if (train.cols <= 0) fail("cannot initialize ease: the training matrix has no items");
    checkMemory(info().id, memoryEstimate(train.rows, train.cols, train.nnz()),
                "lower the item count (e.g. --min-item) — EASE needs I x I matrices");
    m_numItems = train.cols;
    m_numUsers = train.rows;
    m_fitted = false;
    m_B.assign(static_cast<std::size_t>(m_numItems * m_numItems), 0.0f);
}

bool Ease::fit(const CsrMatrix& train, std::stop_token stop, LossTerms& terms) {
    using Eigen::MatrixXd;
    const std::int64_t I = m_numItems;
    PhaseClock clock;
    // The item -> users lists with each entry's weight in XᵀX.
    const CsrMatrix cols = (m_binarize ? train.binarized() : train).transposed();

    // 1. G = XᵀX + λI. Column i sums over the users of item i in ascending order, so G(i, j)
    // and G(j, i) add the same products in the same order: G is exactly symmetric.
    MatrixXd G(I, I);
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, I, 8), [&](const auto& range) {
        for (std::int64_t i = range.begin(); i < range.end(); ++i) {
            if (stop.stop_requested()) return;
            double* g = G.data() + i * I;
            std::fill(g, g + I, 0.0);
            for (std::int64_t k = cols.indptr[i]; k < cols.indptr[i + 1]; ++k) {
                const std::int64_t u = cols.indices[k];
                const double a = static_cast<double>(cols.values[k]);
                for (std::int64_t e = train.indptr[u]; e < train.indptr[u + 1]; ++e)
                    g[train.indices[e]] += a * (m_binarize ? 1.0 : train.values[e]);
            }
            g[i] += m_lambda;
        }
    });
    if (stop.stop_requested()) return false;
    clock.lap("XᵀX");

    // 2. G = L Lᵀ, L in G's lower triangle.
    if (!cholesky(G, stop, m_lambda)) return false;
    clock.lap("Cholesky");

    // 3. P = G⁻¹: rows >= j0 of columns [j0, j1) per block; P(i, j) for i > j goes to G(j, i).
    std::vector<double> diagP(static_cast<std::size_t>(I));
    const std::int64_t blocks = (I + kSolveBlock - 1) / kSolveBlock;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, blocks, 1), [&](const auto& range) {
        for (std::int64_t blk = range.begin(); blk < range.end(); ++blk) {
            if (stop.stop_requested()) return;
            const std::int64_t j0 = blk * kSolveBlock, w = std::min(kSolveBlock, I - j0),
                               n = I - j0;
            MatrixXd Y = MatrixXd::Identity(n, w);
            const auto L = G.bottomRightCorner(n, n).triangularView<Eigen::Lower>();
            L.solveInPlace(Y);
            L.transpose().solveInPlace(Y);
            for (std::int64_t c = 0; c < w; ++c) {
                const std::int64_t j = j0 + c;
                diagP[j] = Y(c, c);
                for (std::int64_t r = c + 1; r < n; ++r) G(j, j0 + r) = Y(r, c);
            }
        }
    });
    if (stop.stop_requested()) return false;
    clock.lap("inverse");

    // 4. B from P, tile by tile; per row Σ_j B_ij² in a fixed order for the penalty.
    const double* p = G.data();
    float* B = m_B.data();
    std::vector<double> rowSquares(static_cast<std::size_t>(I), 0.0);
    const std::int64_t tiles = (I + kTile - 1) / kTile;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, tiles, 1), [&](const auto& range) {
        for (std::int64_t t = range.begin(); t < range.end(); ++t) {
            const std::int64_t i0 = t * kTile, i1 = std::min(I, i0 + kTile);
            for (std::int64_t j0 = 0; j0 < I; j0 += kTile) {
                const std::int64_t j1 = std::min(I, j0 + kTile);
                for (std::int64_t i = i0; i < i1; ++i)
                    for (std::int64_t j = j0; j < j1; ++j) {
                        if (i == j) {
                            B[i * I + j] = 0.0f;
                            continue;
                        }
                        // P(i, j) lives in the strict upper triangle at (min, max).
                        const double pij = i < j ? p[j * I + i] : p[i * I + j];
                        double b = -pij / diagP[j];
                        if (m_positiveOnly && b < 0) b = 0;
                        B[i * I + j] = static_cast<float>(b);
                        rowSquares[i] += b * b;
                    }
            }
        }
    });

    // The objective. With B = I - P D (D = diag(1 / diag P)) and XᵀX = G - λI,
    // ‖X(I - B)‖² + λ‖B‖² = tr(D P G P D) - λ tr(D P² D) + λ(Σ_j (P²)_jj / P_jj² - I)
    //                     = Σ_j 1 / P_jj - λI,
    // so the unclipped fit needs no pass over X. Clipped weights are measured on X.
    double squaresB = 0, invDiag = 0;
    for (std::int64_t i = 0; i < I; ++i) {
        squaresB += rowSquares[i];
        invDiag += 1.0 / diagP[i];
    }
    const double users = static_cast<double>(std::max<std::int64_t>(1, train.rows));
    terms = {};
    terms.penalty = m_lambda * squaresB / users;
    terms.recon = (m_positiveOnly ? squaredError(train)
                                  : invDiag - m_lambda * static_cast<double>(I) - m_lambda * squaresB) /
                  users;
    terms.loss = terms.recon + terms.penalty;
    clock.lap("B and loss");
    return true;
}

double Ease::squaredError(const CsrMatrix& train) const {
    const std::int64_t I = m_numItems;
    std::vector<double> perRow(static_cast<std::size_t>(train.rows), 0.0);
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, train.rows, 16), [&](const auto& range) {
        std::vector<float> s(static_cast<std::size_t>(I));
        for (std::int64_t u = range.begin(); u < range.end(); ++u) {
            scoreRow(train, u, m_B.data(), I, m_binarize, s.data());
            // ‖x - s‖² = Σ_j s_j² - 2 Σ_{j in u} x_j s_j + Σ_{j in u} x_j².
            double e = 0;
            for (std::int64_t j = 0; j < I; ++j) e += static_cast<double>(s[j]) * s[j];
            for (std::int64_t k = train.indptr[u]; k < train.indptr[u + 1]; ++k) {
                const double x = m_binarize ? 1.0 : train.values[k];
                e += x * x - 2.0 * x * s[train.indices[k]];
            }
            perRow[u] = e;
        }
    });
    double total = 0;
    for (double e : perRow) total += e;
    return total;
}

EpochStats Ease::trainEpoch(const CsrMatrix& train, int epoch, const BatchCallback& onBatch,
                            std::stop_token stop) {
    if (!initialized()) fail("train ease: the model is not initialized");
    if (train.cols != m_numItems)
        fail("train ease: the matrix has " + std::to_string(train.cols) + " items, the model " +
             std::to_string(m_numItems));
    EpochStats stats;
    stats.updates = m_fitted ? 1 : 0;
    // Closed form: the first epoch fits, later ones have nothing to do (zero batches).
    if (m_fitted && epoch > 1) return stats;
    if (stop.stop_requested() || !fit(train, stop, stats.mean)) {
        stats.mean = {};
        stats.stopped = true;
        return stats;
    }
    m_fitted = true;
    stats.batches = 1;
    stats.updates = 1;
    if (onBatch) onBatch({epoch, 0, 1, 1, stats.mean});
    return stats;
}

void Ease::score(const CsrMatrix& rows, std::int64_t begin, std::int64_t end, float* out) const {
    if (!initialized()) fail("score ease: the model is not trained");
    if (rows.cols != m_numItems)
        fail("score ease: the rows have " + std::to_string(rows.cols) + " items, the model " +
             std::to_string(m_numItems));
    if (begin < 0 || end < begin || end > rows.rows)
        fail("score ease: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
             ") are outside the matrix's " + std::to_string(rows.rows) + " rows");
    const std::int64_t I = m_numItems;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(begin, end, 4), [&](const auto& range) {
        for (std::int64_t r = range.begin(); r < range.end(); ++r)
            scoreRow(rows, r, m_B.data(), I, m_binarize, out + (r - begin) * I);
    });
}

Tensor Ease::itemEmbeddings() const { return {}; }

double Ease::memoryEstimate(std::int64_t, std::int64_t items, std::int64_t nnz) const {
    // G, its factor and P share one I x I float64 matrix; B is I x I float32; the item ->
    // users lists take 16 bytes per interaction; each concurrent solve holds an I x 64
    // float64 block.
    const double I = static_cast<double>(items);
    const double tasks = tbb::this_task_arena::max_concurrency();
    return 8.0 * I * I + 4.0 * I * I + 16.0 * static_cast<double>(nnz) + 8.0 * (I + 1) +
           tasks * 8.0 * static_cast<double>(kSolveBlock) * I;
}

TensorMap Ease::state() const { return {{"B", Tensor{m_numItems, m_numItems, m_B}}}; }

void Ease::setState(const TensorMap& state) {
    if (!initialized()) fail("set state of ease: initialize the model first");
    m_B = requireTensor(state, "B", m_numItems, m_numItems).data;
    m_fitted = true;
}

}  // namespace vaecf::core
