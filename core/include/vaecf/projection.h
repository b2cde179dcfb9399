// SPDX-License-Identifier: MIT
// Maps of a latent space: 2-D projections (PCA at once, t-SNE in the background with progress
// and cancel), stratified sampling for large point sets, and exact nearest neighbours in the
// full latent space. Qt-free; parallel with oneTBB; deterministic for a seed.
#pragma once

#include <cstdint>
#include <functional>
#include <stop_token>
#include <vector>

namespace vaecf::core {

// Row-major points: n x dim floats.
struct PointSet {
    std::int64_t n = 0;
    int dim = 0;
    std::vector<float> data;
    const float* row(std::int64_t i) const { return data.data() + i * dim; }
};

// A 2-D map: n x 2 row-major coordinates.
struct Projection2D {
    std::vector<float> xy;
    // PCA only: the mean (dim) and the two unit axes (2 x dim, row-major), so that any latent
    // point z maps to ((z - mean)·axis0, (z - mean)·axis1) and a map point (x, y) maps back to
    // mean + x·axis0 + y·axis1 (the latent traversal); explained variance share per axis.
    std::vector<float> mean, axes;
    double explained[2] = {0, 0};
};

// Principal component analysis onto the two leading components (covariance eigenvectors,
// sign fixed so that the largest-magnitude entry of each axis is positive). Instant for
// hundreds of thousands of points of a few hundred dimensions.
Projection2D pca2d(const PointSet& points);

struct TsneOptions {
    double perplexity = 30;       // effective number of neighbours, in [2, 100]
    int iterations = 750;         // gradient steps (the first 250 with early exaggeration 12)
    double learningRate = 0;      // 0: max(200, n / 12) (Belkina et al. 2019)
    double theta = 0.5;           // Barnes-Hut accuracy (0: exact, O(n^2))
    std::uint64_t seed = 1;
    int threads = 0;              // 0: all cores
    // Called every few iterations with (iteration, iterations, current map); return false or
    // fire the stop token to cancel (then tsne2d throws Error("cancelled")).
    std::function<bool(int, int, const std::vector<float>&)> progress;
};

// Barnes-Hut t-SNE (van der Maaten 2014): perplexity-calibrated affinities over the
// 3·perplexity nearest neighbours, initialized from the PCA map scaled to sd 1e-4.
Projection2D tsne2d(const PointSet& points, const TsneOptions& options, std::stop_token stop = {});

// Up to `maxPoints` indices of [0, n), sampled without replacement and stratified by
// `strata` (one label per point; empty: one stratum) in proportion to each stratum's size,
// every non-empty stratum keeping at least one point. Sorted ascending; deterministic for a seed.
std::vector<std::int64_t> stratifiedSample(std::int64_t n, std::int64_t maxPoints,
                                           const std::vector<std::int32_t>& strata,
                                           std::uint64_t seed);

enum class Distance { Euclidean, Cosine };

struct Neighbour {
    std::int64_t index = 0;
    float distance = 0;  // Euclidean distance, or cosine distance 1 - cos
};

// The k nearest points to `query` (dim floats) among `points`, nearest first, excluding
// index `exclude` (e.g. the query's own row; -1: none). Exact; parallel over points.
std::vector<Neighbour> nearestNeighbours(const PointSet& points, const float* query, int k,
                                         Distance distance, std::int64_t exclude = -1);

}  // namespace vaecf::core
