// SPDX-License-Identifier: MIT
// The split the checkpoint seeds were trained on (make_model_seeds.cpp) and fuzz_checkpoint
// resumes them on: 4 training users x 5 items (the training matrix of the model seeds), one
// validation user and one test user. The validation user has every item but the last as
// fold-in and the last held out, so every validation metric is the same in every epoch: the
// first validation is the best one, the later ones do not improve (a seed with best
// parameters apart from the state, and one that stops early with patience 1).
// Synthetic; its fingerprint is in every checkpoint seed.
#pragma once

#include "vaecf/split.h"

namespace vaecf::fuzz {

inline core::CsrMatrix checkpointRows(std::int64_t cols, std::vector<std::int64_t> indptr,
                                      std::vector<std::int32_t> indices) {
    core::CsrMatrix m;
    m.rows = static_cast<std::int64_t>(indptr.size()) - 1;
    m.cols = cols;
    m.indptr = std::move(indptr);
    m.indices = std::move(indices);
    m.values.assign(m.indices.size(), 1.0f);
    return m;
}

inline const core::Split& checkpointSplit() {
    static const core::Split split = [] {
        core::Split s;
        s.train = checkpointRows(5, {0, 2, 4, 5, 7}, {0, 1, 1, 2, 3, 0, 4});
        s.trainUserIds = {"1", "2", "3", "4"};
        s.validation.foldIn = checkpointRows(5, {0, 4}, {0, 1, 2, 3});
        s.validation.heldOut = checkpointRows(5, {0, 1}, {4});
        s.validation.userIds = {"5"};
        s.test.foldIn = checkpointRows(5, {0, 2}, {0, 2});
        s.test.heldOut = checkpointRows(5, {0, 1}, {1});
        s.test.userIds = {"6"};
        s.itemIds = {"10", "20", "30", "40", "50"};
        s.datasetName = "synthetic";
        return s;
    }();
    return split;
}

}  // namespace vaecf::fuzz
