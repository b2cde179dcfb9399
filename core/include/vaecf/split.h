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

// Which script's random draws and orderings the split reproduces, bit for bit.
enum class SplitRecipe {
    // dawenl/vae_cf's notebook (models.md §1) with NumPy's legacy generator:
    // np.random.seed(seed); permutation(n) of the users in ascending id order; item vocabulary
    // in order of first appearance of the training users' interactions in the source order;
    // per held-out part np.random.seed(seed) again and the part's users visited in ascending
    // id order, each drawing choice(n, int(testProportion * n), replace=False) over its items
    // in source order.
    LiangNotebook,
    // The script that made the shared splits (../shared/datasets/*/liang-split) with Python's
    // `random` module: random.seed(seed); random.shuffle(users in ascending id order); the
    // training users written one after another in shuffled order (items in source order) and
    // the item vocabulary in order of first appearance there; random.seed(seed) again, then
    // validation and test users in shuffled order on that one stream, each drawing
    // random.sample(range(n), int(testProportion * n)) over its items in source order.
    PythonRandom,
};

struct SplitOptions {
    // Held-out users for validation and again for test: a count (>= 1) when heldOutUsers > 0,
    // otherwise min(10000, int(heldOutFraction * users)) (each part), like torch_ref.py; the
    // default 0.1 gives min(10000, 10 %). Liang uses 10,000 on ML-20M.
    std::int64_t heldOutUsers = 0;
    double heldOutFraction = 0.1;  // in (0, 0.5)
    double testProportion = 0.2;   // share of a held-out user's items that is held out, in (0, 1)
    int minItemsToSplit = 5;       // users with fewer items keep all as fold-in (Liang's rule)
    std::uint32_t seed = 98765;    // generator seed (permutation and held-out draws)
    SplitRecipe recipe = SplitRecipe::LiangNotebook;
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

// The split exactly as the reference script (options.recipe) makes it from `data` (already
// preprocessed: thresholded, binarized and filtered; values are ignored, users without any
// interaction are left out as a script reading the rows would never see them). "Ascending id
// order" of users is numeric when every user id is an integer, else byte-wise (as pandas
// sorts int or str ids). Rows of train / validation / test are the users' positions in the
// shuffled list (Liang's uid minus the part's first uid); userIds follow the rows; itemIds,
// items and genreNames follow the vocabulary. Throws Error for impossible options.
Split makeLiangSplit(const Dataset& data, const SplitOptions& options = {});
// The same with the interactions' source order given (see InteractionOrder in dataset.h, and
// ReadOptions::keepFileOrder): needed to reproduce a script's split exactly.
Split makeLiangSplit(const Dataset& data, const SplitOptions& options,
                     const InteractionOrder& sourceOrder);

// Reads a folder in Liang's layout: train.csv, validation_tr.csv, validation_te.csv,
// test_tr.csv, test_te.csv ("uid,sid" with a header) and unique_sid.txt; unique_uid.txt is
// optional. Gives exactly the split the files describe, as torch_ref.load_liang_split reads
// it: train rows are uid - min uid; each held-out part spans the uid range [min, max] of its
// two files, shifted to 0 (so a part's first or last user without any item is not a row).
// itemIds are the lines of unique_sid.txt; user ids are unique_uid.txt[uid] when that file
// exists, else the uid numbers. Errors name file and line.
// Refuses, before reading, a split whose files are estimated to need more than 90 % of this
// machine's memory.
Split loadLiangSplit(const std::filesystem::path& folder);
// The same, leaving malformed lines of the five pair files out when skipBadLines (the header
// line and the id files must be right: they fix what every index means); `report` (optional)
// receives the count and the first messages, and the memory estimate.
Split loadLiangSplit(const std::filesystem::path& folder, bool skipBadLines, ReadReport* report);

// True for a folder holding train.csv and unique_sid.txt (Liang's layout).
bool isLiangSplitFolder(const std::filesystem::path& folder);
// The memory loadLiangSplit(folder) is estimated to need, from the sizes of its files.
MemoryEstimate estimateLiangSplitMemory(const std::filesystem::path& folder);

// Writes `split` in the same layout (plus unique_uid.txt and stats.json) so other tools
// train on the very same split: uids 0..T-1 for train, then validation, then test, items of
// a row in ascending sid order. Creates the folder; files are written to temporaries and
// renamed.
void exportLiangSplit(const Split& split, const std::filesystem::path& folder);

}  // namespace vaecf::core
