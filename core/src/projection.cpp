// SPDX-License-Identifier: MIT
// STUB: replaced by the real implementation.
#include "vaecf/projection.h"

#include "vaecf/error.h"

namespace vaecf::core {

Projection2D pca2d(const PointSet&) { fail("pca2d: not implemented yet"); }
Projection2D tsne2d(const PointSet&, const TsneOptions&, std::stop_token) {
    fail("tsne2d: not implemented yet");
}
std::vector<std::int64_t> stratifiedSample(std::int64_t, std::int64_t, const std::vector<std::int32_t>&,
                                           std::uint64_t) {
    fail("stratifiedSample: not implemented yet");
}
std::vector<Neighbour> nearestNeighbours(const PointSet&, const float*, int, Distance, std::int64_t) {
    fail("nearestNeighbours: not implemented yet");
}

}  // namespace vaecf::core
