// SPDX-License-Identifier: MIT
// The built-in demo dataset: users drawn from a few taste clusters, items in genre-like
// groups with readable names, ML-like activity and popularity skew, and the ground truth
// kept so a teacher can show that the model recovered the clusters. Seeded and fast.
#pragma once

#include <cstdint>
#include <vector>

#include "vaecf/dataset.h"

namespace vaecf::core {

struct DemoOptions {
    std::int64_t users = 3000;
    std::int64_t items = 800;
    int clusters = 6;          // taste clusters (each likes a few genres)
    int genres = 12;           // item groups; names like "Space Opera", "Film Noir", ...
    double meanActivity = 40;  // mean interactions per user (log-normal activity)
    double noise = 0.15;       // share of each user's interactions drawn from the popularity
                               // distribution regardless of taste
    double popularitySkew = 1.0;  // Zipf-like exponent of item popularity within a genre
    std::uint64_t seed = 42;
};

struct DemoDataset {
    Dataset data;                          // Feedback::Ratings, values 1..5 (likes are >= 4)
    std::vector<std::int32_t> userCluster; // ground-truth cluster of each user row
    std::vector<std::string> clusterNames; // e.g. "Sci-fi & Action fans"
    std::vector<std::int32_t> itemGenre;   // main genre of each item column
};

DemoDataset makeDemoDataset(const DemoOptions& options = {});

}  // namespace vaecf::core
