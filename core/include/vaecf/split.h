// SPDX-License-Identifier: MIT
// Liang et al.'s strong-generalization split (models.md §1): training users are used whole;
// held-out validation and test users are split 80/20 into fold-in and held-out items.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "vaecf/csr.h"
#include "vaecf/dataset.h"

namespace vaecf::core {

struct SplitOptions {
    // Held-out users for validation and again for test: a count (>= 1) when heldOutUsers > 0,
    // otherwise heldOutFraction of the users (each part). Default: min(10000, 10 %), like
    // torch_ref.py; Liang uses 10,000 on ML-20M.
    std::int64_t heldOutUsers = 0;
    double heldOutFraction = 0.1;
    double testProportion = 0.2;   // share of a held-out user's items that is held out
    int minItemsToSplit = 5;       // users with fewer items keep all as fold-in (Liang's rule)
    std::uint32_t seed = 98765;    // NumPy RandomState seed (permutation and choice)
};

struct HeldOut {
    CsrMatrix foldIn;    // rows: held-out users; input to the model
    CsrMatrix heldOut;   // same rows: items to find
    std::vector<std::string> userIds;  // original user id per row
};

struct Split {
    CsrMatrix train;                   // training users x items, binary
    std::vector<std::string> trainUserIds;
    HeldOut validation;
    HeldOut test;
    std::vector<std::string> itemIds;  // original id of item column (Liang's unique_sid order)
    std::vector<ItemMeta> items;       // metadata per column (empty when the dataset has none)
    std::vector<std::string> genreNames;
    std::string datasetName;

    std::int64_t numItems() const { return train.cols; }
    // A stable 64-bit fingerprint of the item vocabulary and all five matrices.
    std::uint64_t fingerprint() const;
    std::string fingerprintHex() const;
};

// The split exactly as the reference notebook makes it from `data` (already preprocessed:
// thresholded, binarized and filtered). Users are permuted with NumPy's legacy MT19937
// stream for `seed`; item vocabulary = items of training users in order of first appearance;
// held-out users visited in ascending original-id order with one generator re-seeded per part.
Split makeLiangSplit(const Dataset& data, const SplitOptions& options = {});

// Reads a folder in Liang's layout: train.csv, validation_tr.csv, validation_te.csv,
// test_tr.csv, test_te.csv ("uid,sid" with a header) and unique_sid.txt; unique_uid.txt is
// optional. Gives exactly the split the files describe. Errors name file and line.
Split loadLiangSplit(const std::filesystem::path& folder);

// Writes `split` in the same layout (plus unique_uid.txt and stats.json) so other tools
// train on the very same split. Files are written to temporaries and renamed.
void exportLiangSplit(const Split& split, const std::filesystem::path& folder);

}  // namespace vaecf::core
