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
// sign fixed so that the largest-magnitude entry of each axis is positive; of equal ones,
// the first). Instant for hundreds of thousands of points of a few hundred dimensions
// (~0.5 s for 140,000 x 200 on 2 cores): the covariance is accumulated in double from
// float products over blocks of 1,024 rows. explained[a] = λ_a / trace(covariance) (0 when
// all points coincide); with dim = 1 the second axis is all zeros. Needs at least 1 point;
// throws Error for a malformed set or a non-finite coordinate. Parallel (calling arena),
// bitwise identical for any thread count.
Projection2D pca2d(const PointSet& points);

struct TsneOptions {
    double perplexity = 30;       // effective number of neighbours, in [2, 100]; with fewer
                                  // than 3·perplexity + 1 points the affinities flatten
    int iterations = 750;         // gradient steps (the first 250 with early exaggeration 12)
    double learningRate = 0;      // 0: max(200, n / 12) (Belkina et al. 2019)
    double theta = 0.5;           // Barnes-Hut accuracy in [0, 1] (0: exact, O(n^2)); a cell
                                  // of half width r at distance d is summarized if r/d < θ
                                  // (the reference implementation's criterion)
    std::uint64_t seed = 1;
    int threads = 0;              // 0: all cores
    // Called every few iterations with (iteration, iterations, current map); return false or
    // fire the stop token to cancel (then tsne2d throws Error("cancelled")).
    std::function<bool(int, int, const std::vector<float>&)> progress;
};

// Barnes-Hut t-SNE (van der Maaten 2014): perplexity-calibrated affinities over the
// 3·perplexity nearest neighbours, initialized from the PCA map scaled to sd 1e-4.
//
// The neighbours are exact (brute force, O(n² · dim) through a blocked float matrix product,
// about 2 s of the run for 10,000 x 200, quadrupling with each doubling of n): sample sets
// beyond ~20,000 points first (stratifiedSample). The optimization follows the reference
// implementation (bhtsne): early exaggeration 12 and momentum 0.5 for the first 250
// iterations, then 1 and 0.8; delta-bar-delta gains; the map re-centred every iteration.
// The seed only matters where the PCA map is flat along an axis (e.g. collinear points):
// that axis starts from N(0, 1e-4²) noise. Runs in its own arena of `threads` threads; the
// result is bitwise identical for any thread count. About 10 s of CPU per 750 iterations for
// 10,000 points. Needs at least 4 points; options are validated with messages naming the
// field (e.g. "t-SNE: perplexity must be in [2, 100], got 500"). Cancelled (progress
// returned false, or `stop` fired; checked every iteration and between neighbour blocks):
// throws Error("cancelled"). The progress callback gets iterations 10, 20, ... and the last.
Projection2D tsne2d(const PointSet& points, const TsneOptions& options, std::stop_token stop = {});

// Up to `maxPoints` indices of [0, n), sampled without replacement and stratified by
// `strata` (one label per point; empty: one stratum) in proportion to each stratum's size,
// every non-empty stratum keeping at least one point. Sorted ascending; deterministic for a seed.
//
// Quotas by largest remainder: a stratum gets ⌊q⌋ or ⌈q⌉ of q = maxPoints·|s|/n (the ⌈⌉
// to the largest remainders, ties to the smaller label), except that a stratum with q < 1
// is raised to 1 at the expense of the stratum most above its quota; with more strata than
// maxPoints, the smallest strata go without. Within a stratum, uniform without replacement
// from a stream of (seed, label). maxPoints >= n returns every index; maxPoints must be
// positive and strata empty or of size n.
std::vector<std::int64_t> stratifiedSample(std::int64_t n, std::int64_t maxPoints,
                                           const std::vector<std::int32_t>& strata,
                                           std::uint64_t seed);

enum class Distance { Euclidean, Cosine };

struct Neighbour {
    std::int64_t index = 0;
    float distance = 0;  // Euclidean distance, or cosine distance 1 - cos in [0, 2]
};

// The k nearest points to `query` (dim floats) among `points`, nearest first, excluding
// index `exclude` (e.g. the query's own row; -1: none). Exact; parallel over points.
// Ties go to the smaller index; k larger than the candidates returns them all. Cosine with a
// zero vector (the query or a point) is defined as cos = 0, distance 1: never NaN.
std::vector<Neighbour> nearestNeighbours(const PointSet& points, const float* query, int k,
                                         Distance distance, std::int64_t exclude = -1);

}  // namespace vaecf::core
