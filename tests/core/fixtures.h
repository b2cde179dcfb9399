// SPDX-License-Identifier: MIT
// Small synthetic splits for the model tests: users from a few taste clusters, each cluster
// liking its own block of items, plus a little noise. Built by hand (no reader involved).
#pragma once

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "vaecf/rng.h"
#include "vaecf/split.h"

namespace vaecf::test {

using Triple = std::tuple<std::string, std::string, float>;

// (user id, item id, value) of a dataset in matrix order: rows in order, columns ascending.
inline std::vector<Triple> triples(const core::Dataset& d) {
    std::vector<Triple> out;
    const auto& m = d.interactions;
    for (std::int64_t r = 0; r < m.rows; ++r)
        for (std::int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k)
            out.emplace_back(d.userIds[r], d.itemIds[m.indices[k]], m.values[k]);
    return out;
}

// The 4-user, 5-item training matrix of the tiny model files (as make_model_seeds writes).
inline core::CsrMatrix tinyTrain() {
    core::CsrMatrix train;
    train.rows = 4;
    train.cols = 5;
    train.indptr = {0, 2, 4, 5, 7};
    train.indices = {0, 1, 1, 2, 3, 0, 4};
    train.values.assign(train.indices.size(), 1.0f);
    return train;
}

inline core::Split clusterSplit(int users = 400, int items = 60, int clusters = 4,
                                int perUser = 10, std::uint64_t seed = 7) {
    using namespace vaecf::core;
    Rng rng(seed);
    const int block = items / clusters;
    std::vector<std::vector<std::int32_t>> rows(static_cast<std::size_t>(users));
    for (int u = 0; u < users; ++u) {
        const int c = u % clusters;
        std::vector<std::int32_t>& r = rows[u];
        while (static_cast<int>(r.size()) < perUser) {
            const bool noise = rng.uniform() < 0.1;
            const auto i = static_cast<std::int32_t>(
                noise ? rng.below(items) : c * block + static_cast<int>(rng.below(block)));
            if (std::find(r.begin(), r.end(), i) == r.end()) r.push_back(i);
        }
        std::sort(r.begin(), r.end());
    }
    const int held = users / 8;
    const int trainUsers = users - 2 * held;
    auto build = [&](int from, int to, int part) {
        std::vector<std::int64_t> ri;
        std::vector<std::int32_t> ci;
        for (int u = from; u < to; ++u)
            for (std::size_t k = 0; k < rows[u].size(); ++k) {
                // part 0: all; part 1: fold-in (first 80 %); part 2: held-out (last 20 %).
                const bool isHeld = k >= rows[u].size() * 8 / 10;
                if (part == 0 || (part == 1 && !isHeld) || (part == 2 && isHeld)) {
                    ri.push_back(u - from);
                    ci.push_back(rows[u][k]);
                }
            }
        return CsrMatrix::fromTriplets(to - from, items, ri, ci, {});
    };
    Split s;
    s.datasetName = "clusters";
    s.train = build(0, trainUsers, 0);
    s.validation.foldIn = build(trainUsers, trainUsers + held, 1);
    s.validation.heldOut = build(trainUsers, trainUsers + held, 2);
    s.test.foldIn = build(trainUsers + held, users, 1);
    s.test.heldOut = build(trainUsers + held, users, 2);
    for (int i = 0; i < items; ++i) s.itemIds.push_back("item" + std::to_string(i));
    for (int u = 0; u < trainUsers; ++u) s.trainUserIds.push_back("u" + std::to_string(u));
    for (int u = trainUsers; u < trainUsers + held; ++u)
        s.validation.userIds.push_back("u" + std::to_string(u));
    for (int u = trainUsers + held; u < users; ++u) s.test.userIds.push_back("u" + std::to_string(u));
    return s;
}

// clusterSplit() with its defaults, built once per test program.
inline const core::Split& sharedClusterSplit() {
    static const core::Split s = clusterSplit();
    return s;
}

}  // namespace vaecf::test
