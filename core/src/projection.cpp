// SPDX-License-Identifier: MIT
// Latent-space maps: PCA, Barnes-Hut t-SNE, stratified sampling and exact nearest neighbours.
//
// Determinism: every parallel loop below writes per-index results only, and every reduction
// runs over fixed-size chunks summed in index order, so a result depends on the input and
// the seed, never on the thread count or the scheduling. The matrix products go through
// kernels::sgemm, which promises the same.
#include "vaecf/projection.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <string>
#include <utility>

#include <Eigen/Dense>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "kernels/kernels.h"
#include "vaecf/error.h"
#include "vaecf/rng.h"

namespace vaecf::core {

namespace {

using i64 = std::int64_t;
__extension__ typedef __int128 Int128;

std::string num(double v) {
    std::string s = std::to_string(v);
    // "500.000000" -> "500", "0.250000" -> "0.25"
    if (s.find('.') != std::string::npos) {
        s.erase(s.find_last_not_of('0') + 1);
        if (s.back() == '.') s.pop_back();
    }
    return s;
}

// Shape and finiteness of a point set; `who` prefixes the messages ("PCA", "t-SNE").
void checkPoints(const PointSet& p, const std::string& who) {
    if (p.n < 0) fail(who + ": negative point count " + std::to_string(p.n));
    if (p.dim <= 0) fail(who + ": points need at least 1 dimension, got " + std::to_string(p.dim));
    if (static_cast<i64>(p.data.size()) != p.n * p.dim)
        fail(who + ": the point set has " + std::to_string(p.data.size()) +
             " values, expected n x dim = " + std::to_string(p.n * p.dim));
}

void checkFinite(const PointSet& p, const std::string& who) {
    std::vector<char> bad(static_cast<std::size_t>(p.n), 0);
    tbb::parallel_for(tbb::blocked_range<i64>(0, p.n, 1024), [&](const auto& r) {
        for (i64 i = r.begin(); i < r.end(); ++i) {
            const float* x = p.row(i);
            for (int d = 0; d < p.dim; ++d)
                if (!std::isfinite(x[d])) bad[static_cast<std::size_t>(i)] = 1;
        }
    });
    const auto it = std::find(bad.begin(), bad.end(), 1);
    if (it != bad.end())
        fail(who + ": point " + std::to_string(it - bad.begin()) +
             " has a non-finite coordinate");
}

// Column means in double: fixed chunks of rows summed in parallel, chunk sums added in order.
std::vector<double> columnMeans(const PointSet& p) {
    constexpr i64 kChunk = 4096;
    const i64 chunks = (p.n + kChunk - 1) / kChunk;
    const int D = p.dim;
    std::vector<double> part(static_cast<std::size_t>(chunks * D), 0.0);
    tbb::parallel_for(tbb::blocked_range<i64>(0, chunks, 1), [&](const auto& r) {
        for (i64 c = r.begin(); c < r.end(); ++c) {
            double* s = part.data() + c * D;
            for (i64 i = c * kChunk; i < std::min(p.n, (c + 1) * kChunk); ++i) {
                const float* x = p.row(i);
                for (int d = 0; d < D; ++d) s[d] += x[d];
            }
        }
    });
    std::vector<double> mean(static_cast<std::size_t>(D), 0.0);
    for (i64 c = 0; c < chunks; ++c)
        for (int d = 0; d < D; ++d) mean[d] += part[c * D + d];
    if (p.n > 0)
        for (double& m : mean) m /= static_cast<double>(p.n);
    return mean;
}

// Covariance (dim x dim, divided by n - 1). The products run in float through sgemm over
// blocks of kBlock centred rows (fast: 140k x 200 in ~0.1 s), each block's Gram matrix
// added into a double accumulator: float error stays that of a 1024-term sum, and the long
// sum over all rows is in double. Super-chunks of rows run in parallel, their double sums
// added in order.
Eigen::MatrixXd covariance(const PointSet& p, const std::vector<double>& mean) {
    constexpr i64 kBlock = 1024, kSuper = 16 * kBlock;
    const int D = p.dim;
    const i64 supers = (p.n + kSuper - 1) / kSuper;
    std::vector<Eigen::MatrixXd> part(static_cast<std::size_t>(supers));
    tbb::parallel_for(tbb::blocked_range<i64>(0, supers, 1), [&](const auto& r) {
        std::vector<float> a(static_cast<std::size_t>(kBlock * D)), g(static_cast<std::size_t>(D * D));
        for (i64 s = r.begin(); s < r.end(); ++s) {
            Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(D, D);
            const i64 end = std::min(p.n, (s + 1) * kSuper);
            for (i64 b0 = s * kSuper; b0 < end; b0 += kBlock) {
                const i64 rows = std::min(kBlock, end - b0);
                for (i64 i = 0; i < rows; ++i) {
                    const float* x = p.row(b0 + i);
                    for (int d = 0; d < D; ++d)
                        a[i * D + d] = static_cast<float>(x[d] - mean[d]);
                }
                // g = aᵀ a (D x D).
                kernels::sgemm(true, false, D, D, rows, 1.0f, a.data(), D, a.data(), D, 0.0f,
                               g.data(), D);
                for (int u = 0; u < D; ++u)
                    for (int v = 0; v < D; ++v) acc(u, v) += g[u * D + v];
            }
            part[static_cast<std::size_t>(s)] = std::move(acc);
        }
    });
    Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(D, D);
    for (const auto& m : part) cov += m;
    cov /= static_cast<double>(std::max<i64>(1, p.n - 1));
    // Symmetric by construction up to rounding of the float products; make it exact.
    return 0.5 * (cov + cov.transpose());
}

// ----- t-SNE ---------------------------------------------------------------------------------

void checkStop(const std::stop_token& stop) {
    if (stop.stop_requested()) fail("cancelled");
}

// Exact k nearest neighbours (squared Euclidean) of every point: row blocks of the distance
// matrix from sgemm (|a|² + |b|² - 2 a·b on centred data), a bounded max-heap per row with
// ties broken by index, then the chosen neighbours' distances recomputed exactly in double.
// Cost O(n² · dim) time, O(block · n) memory: ~2 s for 10k x 200 on 2 cores, 4x that for
// 20k; sample larger sets first (stratifiedSample).
void exactKnn(const PointSet& p, int k, const std::stop_token& stop, std::vector<i64>& nbr,
              std::vector<double>& dist2) {
    const i64 n = p.n;
    const int D = p.dim;
    const std::vector<double> mean = columnMeans(p);
    std::vector<float> x(static_cast<std::size_t>(n * D));
    std::vector<float> norm(static_cast<std::size_t>(n));
    tbb::parallel_for(tbb::blocked_range<i64>(0, n, 1024), [&](const auto& r) {
        for (i64 i = r.begin(); i < r.end(); ++i) {
            double s = 0;
            for (int d = 0; d < D; ++d) {
                const float v = static_cast<float>(p.row(i)[d] - mean[d]);
                x[i * D + d] = v;
                s += static_cast<double>(v) * v;
            }
            norm[i] = static_cast<float>(s);
        }
    });
    nbr.assign(static_cast<std::size_t>(n * k), 0);
    dist2.assign(nbr.size(), 0.0);
    constexpr i64 kBlock = 256;
    std::vector<float> c(static_cast<std::size_t>(std::min(kBlock, n) * n));
    for (i64 b0 = 0; b0 < n; b0 += kBlock) {
        checkStop(stop);
        const i64 rows = std::min(kBlock, n - b0);
        kernels::sgemm(false, true, rows, n, D, -2.0f, x.data() + b0 * D, D, x.data(), D, 0.0f,
                       c.data(), n);
        tbb::parallel_for(tbb::blocked_range<i64>(0, rows, 8), [&](const auto& r) {
            std::vector<std::pair<float, i64>> heap;
            heap.reserve(static_cast<std::size_t>(k) + 1);
            for (i64 ri = r.begin(); ri < r.end(); ++ri) {
                const i64 i = b0 + ri;
                const float* row = c.data() + ri * n;
                heap.clear();
                for (i64 j = 0; j < n; ++j) {
                    if (j == i) continue;
                    const std::pair<float, i64> e{row[j] + norm[i] + norm[j], j};
                    if (static_cast<int>(heap.size()) < k) {
                        heap.push_back(e);
                        std::push_heap(heap.begin(), heap.end());
                    } else if (e < heap.front()) {
                        std::pop_heap(heap.begin(), heap.end());
                        heap.back() = e;
                        std::push_heap(heap.begin(), heap.end());
                    }
                }
                std::sort_heap(heap.begin(), heap.end());
                for (int t = 0; t < k; ++t) {
                    const i64 j = heap[t].second;
                    double s = 0;
                    for (int d = 0; d < D; ++d) {
                        const double v = static_cast<double>(p.row(i)[d]) - p.row(j)[d];
                        s += v * v;
                    }
                    nbr[i * k + t] = j;
                    dist2[i * k + t] = s;
                }
            }
        });
    }
}

// Conditional affinities p_j|i ∝ exp(-β_i d²_ij) over the k neighbours, β_i = 1 / (2σ_i²)
// found by bisection so that the entropy H(P_i) = log(perplexity) (van der Maaten 2014,
// eq. 1 and the perplexity Perp(P_i) = 2^H in bits, here in nats). Distances are shifted by
// the nearest one first: the normalized P_i is unchanged and exp cannot underflow to 0/0.
void conditionalAffinities(i64 n, int k, double perplexity, const std::vector<double>& dist2,
                           std::vector<double>& cond) {
    cond.assign(dist2.size(), 0.0);
    const double target = std::log(perplexity);
    tbb::parallel_for(tbb::blocked_range<i64>(0, n, 64), [&](const auto& r) {
        std::vector<double> d(static_cast<std::size_t>(k));
        for (i64 i = r.begin(); i < r.end(); ++i) {
            const double* di = dist2.data() + i * k;
            double* pi = cond.data() + i * k;
            const double d0 = *std::min_element(di, di + k);
            double meanShift = 0;
            for (int t = 0; t < k; ++t) {
                d[t] = di[t] - d0;
                meanShift += d[t];
            }
            meanShift /= k;
            // Scale-free start: β · mean distance = 1.
            double beta = meanShift > 0 ? 1.0 / meanShift : 1.0;
            double lo = 0, hi = std::numeric_limits<double>::infinity();
            for (int iter = 0; iter < 200; ++iter) {
                double sum = 0, wsum = 0;
                for (int t = 0; t < k; ++t) {
                    pi[t] = std::exp(-beta * d[t]);
                    sum += pi[t];
                    wsum += d[t] * pi[t];
                }
                const double h = std::log(sum) + beta * wsum / sum;
                if (std::abs(h - target) < 1e-5) break;
                if (h > target) {  // too flat: sharpen
                    lo = beta;
                    beta = std::isinf(hi) ? beta * 2 : 0.5 * (beta + hi);
                } else {
                    hi = beta;
                    beta = 0.5 * (beta + lo);
                }
            }
            double sum = 0;
            for (int t = 0; t < k; ++t) {
                pi[t] = std::exp(-beta * d[t]);
                sum += pi[t];
            }
            for (int t = 0; t < k; ++t) pi[t] /= sum;
        }
    });
}

// Symmetric joint affinities p_ij = (p_j|i + p_i|j) / 2n as CSR (van der Maaten 2014, §3:
// the sparse P over the union of the kNN graphs). Rows sorted by column; every (i, j) has at
// most two contributions, whose sum is order-free, so the result is deterministic.
struct SparseP {
    std::vector<i64> ptr;
    std::vector<i64> col;
    std::vector<double> val;
};

SparseP symmetrize(i64 n, int k, const std::vector<i64>& nbr, const std::vector<double>& cond) {
    std::vector<i64> count(static_cast<std::size_t>(n) + 1, 0);
    for (i64 i = 0; i < n; ++i)
        for (int t = 0; t < k; ++t) {
            ++count[i + 1];
            ++count[nbr[i * k + t] + 1];
        }
    std::vector<i64> start(count.size(), 0);
    for (i64 i = 0; i < n; ++i) start[i + 1] = start[i] + count[i + 1];
    std::vector<std::pair<i64, double>> e(static_cast<std::size_t>(start[n]));
    std::vector<i64> fill(start.begin(), start.end() - 1);
    for (i64 i = 0; i < n; ++i)
        for (int t = 0; t < k; ++t) {
            const i64 j = nbr[i * k + t];
            const double v = cond[i * k + t];
            e[fill[i]++] = {j, v};
            e[fill[j]++] = {i, v};
        }
    SparseP P;
    P.ptr.assign(static_cast<std::size_t>(n) + 1, 0);
    std::vector<i64> merged(static_cast<std::size_t>(n), 0);
    tbb::parallel_for(tbb::blocked_range<i64>(0, n, 256), [&](const auto& r) {
        for (i64 i = r.begin(); i < r.end(); ++i) {
            auto b = e.begin() + start[i], en = e.begin() + start[i + 1];
            std::sort(b, en);
            // Merge duplicates in place.
            auto out = b;
            for (auto it = b; it != en; ++it) {
                if (out != b && (out - 1)->first == it->first)
                    (out - 1)->second += it->second;
                else
                    *out++ = *it;
            }
            merged[i] = out - b;
        }
    });
    for (i64 i = 0; i < n; ++i) P.ptr[i + 1] = P.ptr[i] + merged[i];
    P.col.resize(static_cast<std::size_t>(P.ptr[n]));
    P.val.resize(P.col.size());
    const double scale = 1.0 / (2.0 * static_cast<double>(n));
    for (i64 i = 0; i < n; ++i)
        for (i64 t = 0; t < merged[i]; ++t) {
            P.col[P.ptr[i] + t] = e[start[i] + t].first;
            P.val[P.ptr[i] + t] = e[start[i] + t].second * scale;
        }
    return P;
}

// Quadtree over the map for the repulsive forces (van der Maaten 2014, §4.1). A leaf holds
// one point, or a list of coincident points (or any points below kMaxDepth) so that
// duplicates never recurse forever. Built serially (O(n log n), ~1 ms per 1k points) in
// point order, so its shape is deterministic. Traversal reads a compact copy of the nodes
// (32 bytes each), and order() lists the points leaf by leaf, depth first: points handled
// in that order by one thread walk nearly the same nodes, which keeps them in cache.
class QuadTree {
public:
    void build(const std::vector<double>& y, i64 n) {
        m_y = &y;
        double x0 = y[0], x1 = y[0], y0 = y[1], y1 = y[1];
        for (i64 i = 1; i < n; ++i) {
            x0 = std::min(x0, y[2 * i]);
            x1 = std::max(x1, y[2 * i]);
            y0 = std::min(y0, y[2 * i + 1]);
            y1 = std::max(y1, y[2 * i + 1]);
        }
        const double hw = 0.5 * std::max(x1 - x0, y1 - y0) * (1 + 1e-9) + 1e-300;
        m_nodes.clear();
        m_nodes.reserve(static_cast<std::size_t>(2 * n + 4));
        m_nodes.push_back(Node{0.5 * (x0 + x1), 0.5 * (y0 + y1), hw});
        m_next.assign(static_cast<std::size_t>(n), -1);
        for (i64 i = 0; i < n; ++i) insert(static_cast<std::int32_t>(i));
        m_hot.resize(m_nodes.size());
        for (std::size_t k = 0; k < m_nodes.size(); ++k) {
            const Node& nd = m_nodes[k];
            Hot& h = m_hot[k];
            const double c = nd.count > 0 ? static_cast<double>(nd.count) : 1.0;
            h = Hot{nd.sx / c, nd.sy / c, static_cast<float>(nd.hw * nd.hw), nd.count, nd.firstChild, nd.point};
        }
        m_order.clear();
        m_order.reserve(static_cast<std::size_t>(n));
        std::vector<std::int32_t> stack{0};
        while (!stack.empty()) {
            const Hot& h = m_hot[static_cast<std::size_t>(stack.back())];
            stack.pop_back();
            if (h.firstChild < 0) {
                for (std::int32_t j = h.point; j >= 0; j = m_next[j]) m_order.push_back(j);
                continue;
            }
            for (int ch = 3; ch >= 0; --ch) stack.push_back(h.firstChild + ch);
        }
    }

    // Every point once, leaf by leaf in depth-first order.
    const std::vector<std::int32_t>& order() const { return m_order; }

    // Σ_j≠i q_ij Z and Σ_j≠i (q_ij Z)² (y_i - y_j) with q_ij Z = 1 / (1 + ‖y_i - y_j‖²).
    // A cell is summarized by its centre of mass when r_cell / ‖y_i - y_cell‖ < θ, with
    // r_cell the cell's half width as in the reference implementation (bhtsne's sptree,
    // for which θ = 0.5 is the customary default; the paper's r_cell, the diagonal, is
    // 2√2 times as strict and about 8 times slower).
    void repulsion(i64 i, double theta2, double& sumQ, double& fx, double& fy) const {
        const auto& y = *m_y;
        const double xi = y[2 * i], yi = y[2 * i + 1];
        double sq = 0, ax = 0, ay = 0;
        std::int32_t stack[4 * (kMaxDepth + 2)];
        int top = 0;
        stack[top++] = 0;
        while (top > 0) {
            const Hot& h = m_hot[static_cast<std::size_t>(stack[--top])];
            if (h.count == 0) continue;
            if (h.firstChild < 0) {
                if (h.count == 1) {  // the centre of mass is the point itself
                    if (h.point == i) continue;
                    const double dx = xi - h.mx, dy = yi - h.my;
                    const double q = 1.0 / (1.0 + dx * dx + dy * dy);
                    sq += q;
                    ax += q * q * dx;
                    ay += q * q * dy;
                    continue;
                }
                for (std::int32_t j = h.point; j >= 0; j = m_next[j]) {
                    if (j == i) continue;
                    const double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
                    const double q = 1.0 / (1.0 + dx * dx + dy * dy);
                    sq += q;
                    ax += q * q * dx;
                    ay += q * q * dy;
                }
                continue;
            }
            const double dx = xi - h.mx, dy = yi - h.my;
            const double d2 = dx * dx + dy * dy;
            if (static_cast<double>(h.hw2) < theta2 * d2) {
                const double q = 1.0 / (1.0 + d2);
                const double c = static_cast<double>(h.count);
                sq += c * q;
                ax += c * q * q * dx;
                ay += c * q * q * dy;
                continue;
            }
            for (int ch = 3; ch >= 0; --ch) stack[top++] = h.firstChild + ch;
        }
        sumQ = sq;
        fx = ax;
        fy = ay;
    }

private:
    static constexpr int kMaxDepth = 50;

    struct Node {                // build-time cell
        double cx, cy, hw;       // centre and half width
        double sx = 0, sy = 0;   // coordinate sums
        std::int32_t count = 0;
        std::int32_t firstChild = -1;  // 4 consecutive children, or -1 for a leaf
        std::int32_t point = -1;       // leaf: head of its point list (m_next), -1 when empty
    };
    struct Hot {                 // traversal copy
        double mx, my;           // centre of mass
        float hw2;               // squared half width
        std::int32_t count, firstChild, point;
    };

    static int quadrant(const Node& nd, double x, double y) {
        return (x >= nd.cx ? 1 : 0) + (y >= nd.cy ? 2 : 0);
    }

    void addTo(std::int32_t node, std::int32_t i) {
        Node& nd = m_nodes[static_cast<std::size_t>(node)];
        ++nd.count;
        nd.sx += (*m_y)[2 * i];
        nd.sy += (*m_y)[2 * i + 1];
    }

    void insert(std::int32_t i) {
        const auto& y = *m_y;
        const double x = y[2 * i], yy = y[2 * i + 1];
        std::int32_t node = 0;
        int depth = 0;
        for (;;) {
            addTo(node, i);
            Node& nd = m_nodes[static_cast<std::size_t>(node)];
            if (nd.firstChild >= 0) {
                node = nd.firstChild + quadrant(nd, x, yy);
                ++depth;
                continue;
            }
            const std::int32_t head = nd.point;
            if (head < 0 || depth >= kMaxDepth || (y[2 * head] == x && y[2 * head + 1] == yy)) {
                m_next[i] = head;
                nd.point = i;
                return;
            }
            // Split the leaf; its list holds one point or coincident ones (same quadrant).
            const auto first = static_cast<std::int32_t>(m_nodes.size());
            const double h = 0.5 * nd.hw, cx = nd.cx, cy = nd.cy;
            for (int ch = 0; ch < 4; ++ch)
                m_nodes.push_back(Node{cx + ((ch & 1) ? h : -h), cy + ((ch & 2) ? h : -h), h});
            Node& parent = m_nodes[static_cast<std::size_t>(node)];  // push_back moved it
            parent.firstChild = first;
            parent.point = -1;
            for (std::int32_t j = head; j >= 0;) {
                const std::int32_t nextJ = m_next[j];
                const std::int32_t child = first + quadrant(parent, y[2 * j], y[2 * j + 1]);
                addTo(child, j);
                Node& c = m_nodes[static_cast<std::size_t>(child)];
                m_next[j] = c.point;
                c.point = j;
                j = nextJ;
            }
            node = first + quadrant(m_nodes[static_cast<std::size_t>(node)], x, yy);
            ++depth;
        }
    }

    const std::vector<double>* m_y = nullptr;
    std::vector<Node> m_nodes;
    std::vector<Hot> m_hot;
    std::vector<std::int32_t> m_next, m_order;
};

void validate(const PointSet& points, const TsneOptions& o) {
    checkPoints(points, "t-SNE");
    if (points.n < 4) fail("t-SNE needs at least 4 points, got " + std::to_string(points.n));
    if (points.n > std::numeric_limits<std::int32_t>::max())
        fail("t-SNE: too many points (" + std::to_string(points.n) + "); sample them first");
    if (!(o.perplexity >= 2 && o.perplexity <= 100))
        fail("t-SNE: perplexity must be in [2, 100], got " + num(o.perplexity));
    if (o.iterations < 1 || o.iterations > 100000)
        fail("t-SNE: iterations must be in [1, 100000], got " + std::to_string(o.iterations));
    if (!(std::isfinite(o.learningRate) && o.learningRate >= 0))
        fail("t-SNE: learning rate must be positive (0: automatic), got " + num(o.learningRate));
    if (!(o.theta >= 0 && o.theta <= 1))
        fail("t-SNE: theta must be in [0, 1], got " + num(o.theta));
    if (o.threads < 0 || o.threads > 1024)
        fail("t-SNE: threads must be in [0, 1024] (0: all cores), got " +
             std::to_string(o.threads));
}

Projection2D tsneInArena(const PointSet& points, const TsneOptions& o, const std::stop_token& stop) {
    const i64 n = points.n;
    const int k = static_cast<int>(std::min<double>(static_cast<double>(n - 1),
                                                    std::floor(3 * o.perplexity)));
    // Affinities.
    std::vector<i64> nbr;
    std::vector<double> dist2, cond;
    exactKnn(points, k, stop, nbr, dist2);
    checkStop(stop);
    conditionalAffinities(n, k, o.perplexity, dist2, cond);
    const SparseP P = symmetrize(n, k, nbr, cond);
    nbr = {};
    dist2 = {};
    cond = {};
    checkStop(stop);

    // Initialization: the PCA map scaled so that the first coordinate has sd 1e-4
    // (deterministic, and preserves global structure: Kobak & Berens 2019). An axis without
    // spread (e.g. collinear points) gets N(0, 1e-4²) noise from the seed instead, or the
    // map could never leave the line.
    std::vector<double> y(static_cast<std::size_t>(2 * n));
    {
        const Projection2D pca = pca2d(points);
        double sd[2] = {0, 0};
        for (int a = 0; a < 2; ++a) {
            double s = 0;
            for (i64 i = 0; i < n; ++i) s += static_cast<double>(pca.xy[2 * i + a]) * pca.xy[2 * i + a];
            sd[a] = std::sqrt(s / static_cast<double>(n));
        }
        Rng rng(mixSeed(o.seed, 0x75E));
        for (int a = 0; a < 2; ++a) {
            // sd[0] >= sd[1]; a second axis below float rounding of the first is flat.
            const bool flat = !(sd[a] > 1e-5 * sd[0]);
            for (i64 i = 0; i < n; ++i)
                y[2 * i + a] = flat ? 1e-4 * rng.normal() : 1e-4 * pca.xy[2 * i + a] / sd[0];
        }
    }

    // Optimization: gradient descent with momentum and per-coordinate gains (the reference
    // implementation bhtsne's delta-bar-delta: +0.2 when the gradient's sign differs from the
    // update's, x0.8 otherwise, at least 0.01). The gradient is that of bhtsne and FIt-SNE,
    //   ∂C/∂y_i = α Σ_j p_ij q_ij Z (y_i - y_j) - Σ_j (q_ij Z)² (y_i - y_j) / Z
    // (van der Maaten 2014, eq. 5 split into attractive and repulsive parts, without the
    // constant 4, which the learning rate absorbs), α = 12 for the first 250 iterations.
    // Learning rate max(200, n / 12) (Belkina et al. 2019: n / α with this gradient).
    const double eta = o.learningRate > 0 ? o.learningRate
                                          : std::max(200.0, static_cast<double>(n) / 12.0);
    const double theta2 = o.theta * o.theta;
    constexpr int kExaggerationIters = 250;
    std::vector<double> gains(y.size(), 1.0), update(y.size(), 0.0), grad(y.size(), 0.0);
    std::vector<double> rep(y.size(), 0.0), sumQ(static_cast<std::size_t>(n), 0.0);
    std::vector<float> xy(y.size());
    QuadTree tree;
    for (int it = 0; it < o.iterations; ++it) {
        checkStop(stop);
        const bool early = it < kExaggerationIters;
        const double exaggeration = early ? 12.0 : 1.0;
        const double momentum = early ? 0.5 : 0.8;
        tree.build(y, n);
        const auto& order = tree.order();
        tbb::parallel_for(tbb::blocked_range<i64>(0, n, 64), [&](const auto& r) {
            for (i64 pos = r.begin(); pos < r.end(); ++pos) {
                const i64 i = order[pos];
                tree.repulsion(i, theta2, sumQ[i], rep[2 * i], rep[2 * i + 1]);
                double ax = 0, ay = 0;
                const double xi = y[2 * i], yi = y[2 * i + 1];
                for (i64 t = P.ptr[i]; t < P.ptr[i + 1]; ++t) {
                    const i64 j = P.col[t];
                    const double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
                    const double w = P.val[t] / (1.0 + dx * dx + dy * dy);
                    ax += w * dx;
                    ay += w * dy;
                }
                grad[2 * i] = exaggeration * ax;
                grad[2 * i + 1] = exaggeration * ay;
            }
        });
        // Z = Σ_i Σ_j≠i q_ij Z, summed in index order.
        double Z = 0;
        for (i64 i = 0; i < n; ++i) Z += sumQ[i];
        const double invZ = Z > 0 ? 1.0 / Z : 0.0;
        tbb::parallel_for(tbb::blocked_range<i64>(0, 2 * n, 1024), [&](const auto& r) {
            for (i64 c = r.begin(); c < r.end(); ++c) {
                const double g = grad[c] - rep[c] * invZ;
                gains[c] = (g > 0) != (update[c] > 0) ? gains[c] + 0.2 : gains[c] * 0.8;
                if (gains[c] < 0.01) gains[c] = 0.01;
                update[c] = momentum * update[c] - eta * gains[c] * g;
                y[c] += update[c];
            }
        });
        // Keep the map centred (as bhtsne does): the tree's box stays tight.
        double mx = 0, my = 0;
        for (i64 i = 0; i < n; ++i) {
            mx += y[2 * i];
            my += y[2 * i + 1];
        }
        mx /= static_cast<double>(n);
        my /= static_cast<double>(n);
        for (i64 i = 0; i < n; ++i) {
            y[2 * i] -= mx;
            y[2 * i + 1] -= my;
        }
        const bool last = it + 1 == o.iterations;
        if (o.progress && ((it + 1) % 10 == 0 || last)) {
            std::copy(y.begin(), y.end(), xy.begin());
            if (!o.progress(it + 1, o.iterations, xy)) fail("cancelled");
        }
    }
    checkStop(stop);
    Projection2D out;
    out.xy.assign(y.begin(), y.end());
    return out;
}

}  // namespace

Projection2D pca2d(const PointSet& points) {
    checkPoints(points, "PCA");
    if (points.n < 1) fail("PCA needs at least 1 point, got 0");
    checkFinite(points, "PCA");
    const int D = points.dim;
    const std::vector<double> mean = columnMeans(points);
    const Eigen::MatrixXd cov = covariance(points, mean);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
    if (eig.info() != Eigen::Success) fail("PCA: the eigen-decomposition did not converge");
    // Eigenvalues ascending: the leading axes are the last columns. A 1-D set has only one.
    const Eigen::VectorXd& lambda = eig.eigenvalues();
    const double total = std::max(0.0, cov.trace());
    Projection2D out;
    out.mean.assign(mean.begin(), mean.end());
    out.axes.assign(static_cast<std::size_t>(2 * D), 0.0f);
    for (int a = 0; a < 2 && a < D; ++a) {
        Eigen::VectorXd v = eig.eigenvectors().col(D - 1 - a);
        // Sign rule: the largest-magnitude entry (the first of equal ones) is positive, so
        // the same data give the same picture whatever the solver returns.
        Eigen::Index big = 0;
        for (Eigen::Index d = 1; d < v.size(); ++d)
            if (std::abs(v[d]) > std::abs(v[big])) big = d;
        if (v[big] < 0) v = -v;
        for (int d = 0; d < D; ++d) out.axes[a * D + d] = static_cast<float>(v[d]);
        const double l = std::max(0.0, lambda[D - 1 - a]);
        out.explained[a] = total > 0 ? l / total : 0.0;
    }
    out.xy.assign(static_cast<std::size_t>(2 * points.n), 0.0f);
    tbb::parallel_for(tbb::blocked_range<i64>(0, points.n, 1024), [&](const auto& r) {
        for (i64 i = r.begin(); i < r.end(); ++i) {
            const float* x = points.row(i);
            double s0 = 0, s1 = 0;
            for (int d = 0; d < D; ++d) {
                const double c = x[d] - mean[d];
                s0 += c * out.axes[d];
                s1 += c * out.axes[D + d];
            }
            out.xy[2 * i] = static_cast<float>(s0);
            out.xy[2 * i + 1] = static_cast<float>(s1);
        }
    });
    return out;
}

Projection2D tsne2d(const PointSet& points, const TsneOptions& options, std::stop_token stop) {
    validate(points, options);
    checkFinite(points, "t-SNE");
    tbb::task_arena arena(options.threads > 0 ? options.threads : tbb::task_arena::automatic);
    Projection2D out;
    // The progress callback runs on a thread of the arena (normally the caller's).
    arena.execute([&] { out = tsneInArena(points, options, stop); });
    return out;
}

std::vector<std::int64_t> stratifiedSample(std::int64_t n, std::int64_t maxPoints,
                                           const std::vector<std::int32_t>& strata,
                                           std::uint64_t seed) {
    if (n < 0) fail("stratified sample: negative point count " + std::to_string(n));
    if (maxPoints <= 0)
        fail("stratified sample: maxPoints must be positive, got " + std::to_string(maxPoints));
    if (!strata.empty() && static_cast<i64>(strata.size()) != n)
        fail("stratified sample: " + std::to_string(strata.size()) + " stratum labels for " +
             std::to_string(n) + " points");
    std::vector<i64> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), i64{0});
    if (maxPoints >= n) return all;

    // Strata in label order, members in index order.
    std::vector<std::int32_t> labels;
    std::vector<std::vector<i64>> members;
    if (strata.empty()) {
        labels = {0};
        members = {std::move(all)};
    } else {
        std::vector<i64> order(all);
        std::stable_sort(order.begin(), order.end(),
                         [&](i64 a, i64 b) { return strata[a] < strata[b]; });
        for (const i64 i : order) {
            if (labels.empty() || labels.back() != strata[i]) {
                labels.push_back(strata[i]);
                members.emplace_back();
            }
            members.back().push_back(i);
        }
    }
    const std::size_t S = labels.size();
    const i64 M = maxPoints;

    // Largest-remainder apportionment of M over the strata: quota q_s = M·|s| / n, each
    // stratum gets ⌊q_s⌋ or ⌈q_s⌉ (exact integer arithmetic), the ⌈⌉ going to the largest
    // remainders (ties: smaller label).
    std::vector<i64> alloc(S);
    std::vector<UInt128> scaled(S);  // M·|s|, compared with alloc·n
    std::vector<std::pair<i64, std::size_t>> rem(S);
    i64 total = 0;
    for (std::size_t s = 0; s < S; ++s) {
        scaled[s] = static_cast<UInt128>(M) * static_cast<UInt128>(members[s].size());
        alloc[s] = static_cast<i64>(scaled[s] / static_cast<UInt128>(n));
        rem[s] = {-static_cast<i64>(scaled[s] % static_cast<UInt128>(n)), s};
        total += alloc[s];
    }
    std::sort(rem.begin(), rem.end());
    for (std::size_t t = 0; total < M && t < S; ++t, ++total) ++alloc[rem[t].second];

    // Every stratum keeps a point: a stratum with none takes one from the stratum most above
    // its quota that has two or more (those bumps can leave a donor at ⌊q_s⌋ - 1). Larger
    // strata are served first; with more strata than maxPoints the smallest go without.
    std::vector<std::size_t> empty;
    for (std::size_t s = 0; s < S; ++s)
        if (alloc[s] == 0) empty.push_back(s);
    std::stable_sort(empty.begin(), empty.end(), [&](std::size_t a, std::size_t b) {
        return members[a].size() > members[b].size();
    });
    // Donor key: excess alloc·n - M·|s| (signed, in 128 bits), larger first; ties: smaller label.
    auto excess = [&](std::size_t s) {
        return static_cast<Int128>(static_cast<UInt128>(alloc[s]) * static_cast<UInt128>(n)) -
               static_cast<Int128>(scaled[s]);
    };
    using Key = std::pair<Int128, std::size_t>;
    auto cmp = [](const Key& a, const Key& b) {
        return a.first != b.first ? a.first < b.first : a.second > b.second;
    };
    std::priority_queue<Key, std::vector<Key>, decltype(cmp)> donors(cmp);
    for (std::size_t s = 0; s < S; ++s)
        if (alloc[s] >= 2) donors.push({excess(s), s});
    for (const std::size_t s : empty) {
        if (donors.empty()) break;
        const std::size_t d = donors.top().second;
        donors.pop();
        --alloc[d];
        ++alloc[s];
        if (alloc[d] >= 2) donors.push({excess(d), d});
    }

    // Within a stratum: a partial Fisher-Yates shuffle from a stream per stratum label.
    std::vector<i64> out;
    out.reserve(static_cast<std::size_t>(M));
    for (std::size_t s = 0; s < S; ++s) {
        std::vector<i64>& m = members[s];
        Rng rng(mixSeed(seed, static_cast<std::uint32_t>(labels[s]), 0x57A7));
        const i64 size = static_cast<i64>(m.size());
        for (i64 t = 0; t < alloc[s]; ++t) {
            const i64 j = t + static_cast<i64>(rng.below(static_cast<std::uint64_t>(size - t)));
            std::swap(m[t], m[j]);
            out.push_back(m[t]);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<Neighbour> nearestNeighbours(const PointSet& points, const float* query, int k,
                                         Distance distance, std::int64_t exclude) {
    checkPoints(points, "nearest neighbours");
    if (!query) fail("nearest neighbours: no query point");
    if (k < 0) fail("nearest neighbours: k must be non-negative, got " + std::to_string(k));
    if (exclude < -1 || exclude >= points.n)
        fail("nearest neighbours: exclude must be -1 or a point index in [0, " +
             std::to_string(points.n) + "), got " + std::to_string(exclude));
    const i64 n = points.n;
    const int D = points.dim;
    double qNorm = 0;
    for (int d = 0; d < D; ++d) qNorm += static_cast<double>(query[d]) * query[d];
    qNorm = std::sqrt(qNorm);
    // Distances in double per point; cosine with a zero vector (query or point) is defined
    // as cos = 0, i.e. distance 1: no direction, so neither near nor far. Never NaN.
    std::vector<float> dist(static_cast<std::size_t>(n));
    tbb::parallel_for(tbb::blocked_range<i64>(0, n, 1024), [&](const auto& r) {
        for (i64 i = r.begin(); i < r.end(); ++i) {
            const float* x = points.row(i);
            double v;
            if (distance == Distance::Euclidean) {
                double s = 0;
                for (int d = 0; d < D; ++d) {
                    const double t = static_cast<double>(x[d]) - query[d];
                    s += t * t;
                }
                v = std::sqrt(s);
            } else {
                double dot = 0, nn = 0;
                for (int d = 0; d < D; ++d) {
                    dot += static_cast<double>(x[d]) * query[d];
                    nn += static_cast<double>(x[d]) * x[d];
                }
                const double den = std::sqrt(nn) * qNorm;
                v = den > 0 ? 1.0 - std::clamp(dot / den, -1.0, 1.0) : 1.0;
            }
            // Non-finite input sorts last instead of poisoning the order.
            dist[i] = std::isnan(v) ? std::numeric_limits<float>::infinity() : static_cast<float>(v);
        }
    });
    std::vector<i64> idx;
    idx.reserve(static_cast<std::size_t>(n));
    for (i64 i = 0; i < n; ++i)
        if (i != exclude) idx.push_back(i);
    const std::size_t kk = std::min(idx.size(), static_cast<std::size_t>(k));
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(),
                      [&](i64 a, i64 b) { return dist[a] != dist[b] ? dist[a] < dist[b] : a < b; });
    std::vector<Neighbour> out(kk);
    for (std::size_t t = 0; t < kk; ++t) out[t] = {idx[t], dist[idx[t]]};
    return out;
}

}  // namespace vaecf::core
