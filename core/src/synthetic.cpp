// SPDX-License-Identifier: MIT
// The built-in demo dataset (see synthetic.h). Generative story, all from one xoshiro stream:
//   * items: main genre (even shares, shuffled over the columns; a quarter get a second
//     genre), a Zipf-like popularity rank within the genre, a readable title and a year;
//   * clusters: each likes 2-3 genres (weights 0.5/0.3/0.2, or 0.6/0.4), its taste
//     distribution is the genres' Zipf weights times those genre weights;
//   * users: a uniform cluster; activity log-normal with mean meanActivity (sigma 0.8), at
//     least 5 and at most half the items; each interaction is, with probability `noise`, drawn
//     from global popularity, else from the cluster's taste; no repeats;
//   * ratings: taste draws get 4 or 5, noise draws get mixed ratings 1..5 (mostly 1-3).
#include "vaecf/synthetic.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "vaecf/error.h"
#include "vaecf/rng.h"

namespace vaecf::core {

namespace {

using i64 = std::int64_t;
using i32 = std::int32_t;

struct GenreWords {
    std::string_view name;
    std::array<std::string_view, 12> adjectives;
    std::array<std::string_view, 12> nouns;
};

// clang-format off
constexpr std::array<GenreWords, 16> kGenres{{
    {"Space Opera",
     {"Last", "Silent", "Distant", "Crimson", "Frozen", "Hidden", "Burning", "Endless", "Fallen",
      "Dark", "Lost", "Iron"},
     {"Nebula", "Star", "Horizon", "Empire", "Orbit", "Comet", "Frontier", "Galaxy", "Moon",
      "Voyager", "Armada", "Eclipse"}},
    {"Film Noir",
     {"Midnight", "Crooked", "Naked", "Deadly", "Velvet", "Shadowed", "Cold", "Bitter", "Hollow",
      "Guilty", "Rainy", "Whispering"},
     {"Alibi", "Street", "Dame", "Witness", "Kiss", "Rain", "Verdict", "Badge", "Motel",
      "Confession", "Detour", "Ransom"}},
    {"Romantic Comedy",
     {"Perfect", "Accidental", "Sweet", "Second", "Lucky", "Runaway", "Unexpected", "Little",
      "Crazy", "Summer", "Charming", "Reluctant"},
     {"Proposal", "Date", "Wedding", "Crush", "Affair", "Honeymoon", "Valentine", "Match",
      "Promise", "Roommate", "Bride", "Blind Date"}},
    {"Western",
     {"Dusty", "Lone", "Lawless", "Golden", "Wild", "Red", "Broken", "Iron", "Desert", "High",
      "Last", "Savage"},
     {"Canyon", "Ranger", "Sheriff", "Trail", "Saddle", "Outlaw", "Frontier", "Mesa",
      "Gunslinger", "Stagecoach", "Bounty", "River"}},
    {"Horror",
     {"Haunted", "Bleeding", "Cursed", "Silent", "Rotting", "Wicked", "Pale", "Hungry",
      "Forgotten", "Black", "Twisted", "Crawling"},
     {"House", "Cellar", "Doll", "Woods", "Ritual", "Asylum", "Hollow", "Mask", "Crypt",
      "Orphan", "Lake", "Cabin"}},
    {"Documentary",
     {"Hidden", "Secret", "Untold", "Great", "Last", "Inside", "Wild", "Living", "Frozen",
      "Vanishing", "Ancient", "Modern"},
     {"Planet", "Ocean", "Kingdom", "Machine", "Journey", "Harvest", "City", "Archive", "River",
      "Record", "Voices", "Glacier"}},
    {"Animation",
     {"Brave", "Tiny", "Magic", "Clever", "Flying", "Happy", "Sleepy", "Jolly", "Little",
      "Wandering", "Curious", "Merry"},
     {"Dragon", "Robot", "Kitten", "Forest", "Balloon", "Penguin", "Island", "Lantern",
      "Toyshop", "Fox", "Cloud", "Teapot"}},
    {"Thriller",
     {"Final", "Blind", "Broken", "Silent", "Fatal", "Double", "Hidden", "Last", "Cold", "Dead",
      "Rogue", "Burning"},
     {"Code", "Signal", "Protocol", "Target", "Witness", "Hour", "Contract", "Cipher",
      "Exchange", "Pursuit", "Countdown", "Agent"}},
    {"Fantasy",
     {"Enchanted", "Shattered", "Elven", "Forgotten", "Emerald", "Silver", "Ancient", "Cursed",
      "Hidden", "Eternal", "Wandering", "Crystal"},
     {"Crown", "Sword", "Realm", "Tower", "Prophecy", "Throne", "Grimoire", "Dragon", "Kingdom",
      "Chalice", "Forest", "Oracle"}},
    {"Musical",
     {"Singing", "Dancing", "Golden", "Starlit", "Broadway", "Swinging", "Melodic", "Velvet",
      "Moonlit", "Silver", "Jazzy", "Happy"},
     {"Serenade", "Rhythm", "Stage", "Ballroom", "Chorus", "Waltz", "Melody", "Rhapsody",
      "Parade", "Encore", "Tango", "Revue"}},
    {"War",
     {"Bloody", "Distant", "Last", "Iron", "Burning", "Longest", "Silent", "Broken", "Forgotten",
      "Brave", "Steel", "Frozen"},
     {"Battalion", "Front", "Trench", "Beachhead", "Ridge", "Convoy", "Siege", "Bridge",
      "Outpost", "Campaign", "Harbor", "Garrison"}},
    {"Crime Drama",
     {"Dirty", "Crooked", "Quiet", "Brutal", "Borrowed", "Stolen", "Perfect", "Last", "Broken",
      "Rough", "Golden", "Lucky"},
     {"Heist", "Job", "Money", "Family", "Deal", "Racket", "Score", "Code", "Territory", "Debt",
      "Syndicate", "Verdict"}},
    {"Coming of Age",
     {"Endless", "Lost", "Last", "First", "Wild", "Golden", "Restless", "Little", "Quiet",
      "Secret", "Bright", "Lazy"},
     {"Summer", "Friends", "Years", "Road", "Diary", "Town", "Season", "Days", "Letters",
      "Beach", "Bicycle", "Crush"}},
    {"Science Fiction",
     {"Quantum", "Synthetic", "Hollow", "Electric", "Infinite", "Parallel", "Neon", "Binary",
      "Chrome", "Atomic", "Silent", "Last"},
     {"Signal", "Android", "Paradox", "Colony", "Machine", "Protocol", "Clone", "Reactor",
      "Matrix", "Dimension", "Horizon", "Sequence"}},
    {"Martial Arts",
     {"Iron", "Flying", "Drunken", "Golden", "Silent", "Crouching", "Jade", "Shadow", "Thunder",
      "Steel", "Burning", "Hidden"},
     {"Fist", "Dragon", "Tiger", "Temple", "Crane", "Monk", "Palm", "Blade", "Master",
      "Mountain", "Lotus", "Warrior"}},
    {"Family Adventure",
     {"Great", "Amazing", "Secret", "Lost", "Magic", "Wild", "Brave", "Incredible", "Little",
      "Sunny", "Clever", "Faraway"},
     {"Treasure", "Island", "Expedition", "Map", "Dog", "Balloon", "Journey", "Lighthouse",
      "Canyon", "Safari", "Raft", "Castle"}},
}};
// clang-format on

std::string genreName(int g) {
    if (g < static_cast<int>(kGenres.size()))
        return std::string(kGenres[static_cast<std::size_t>(g)].name);
    return std::string(kGenres[static_cast<std::size_t>(g) % kGenres.size()].name) + " " +
           std::to_string(g / static_cast<int>(kGenres.size()) + 1);
}

// A title in the genre's words: "The Last Nebula", "Crimson Orbit", "Nebula of the Lost Star".
std::string baseTitle(const GenreWords& w, Rng& rng) {
    auto adj = [&] { return std::string(w.adjectives[rng.below(w.adjectives.size())]); };
    auto noun = [&] { return std::string(w.nouns[rng.below(w.nouns.size())]); };
    const double u = rng.uniform();
    if (u < 0.45) return "The " + adj() + " " + noun();
    if (u < 0.75) return adj() + " " + noun();
    if (u < 0.88) return "The " + noun();
    std::string a = noun(), b = noun();
    while (b == a) b = noun();
    return a + " of the " + adj() + " " + b;
}

// Draws an index from cumulative weights (last entry = total).
i32 drawFrom(const std::vector<double>& cum, Rng& rng) {
    const double x = rng.uniform() * cum.back();
    const auto it = std::upper_bound(cum.begin(), cum.end(), x);
    return static_cast<i32>(
        std::min<std::ptrdiff_t>(it - cum.begin(), static_cast<std::ptrdiff_t>(cum.size()) - 1));
}

std::string joinGenres(const std::vector<std::string>& names) {
    std::string s;
    for (std::size_t k = 0; k < names.size(); ++k) {
        if (k > 0) s += k + 1 == names.size() ? " & " : ", ";
        s += names[k];
    }
    return s + " fans";
}

}  // namespace

DemoDataset makeDemoDataset(const DemoOptions& o) {
    // Upper bounds as the command line's: settings also come from project files, and the
    // generator's memory and time grow with users x activity and clusters x items.
    if (o.users < 1 || o.users > 5000000)
        fail("demo data: users must be between 1 and 5000000, got " + std::to_string(o.users));
    if (o.genres < 1 || o.genres > 1000)
        fail("demo data: genres must be between 1 and 1000, got " + std::to_string(o.genres));
    if (o.items < 10 || o.items < 2 * o.genres || o.items > 1000000)
        fail("demo data: items must be at least 10 and twice the genres, and at most 1000000, "
             "got " + std::to_string(o.items));
    if (o.clusters < 1 || o.clusters > 100)
        fail("demo data: clusters must be between 1 and 100, got " + std::to_string(o.clusters));
    if (!(o.meanActivity >= 5) || o.meanActivity > static_cast<double>(o.items) / 2)
        fail("demo data: mean activity must lie between 5 and half the items");
    if (static_cast<double>(o.users) * o.meanActivity > 5e8)
        fail("demo data: users x mean activity must be at most 500 million interactions, got " +
             std::to_string(static_cast<std::int64_t>(static_cast<double>(o.users) * o.meanActivity)));
    if (!(o.noise >= 0 && o.noise <= 1)) fail("demo data: noise must lie between 0 and 1");
    if (!(o.popularitySkew >= 0 && o.popularitySkew <= 5))
        fail("demo data: popularity skew must lie between 0 and 5");

    Rng rng(o.seed);
    const i64 m = o.items;
    const int g = o.genres;
    DemoDataset out;
    Dataset& d = out.data;
    d.name = "Demo movies (synthetic)";
    d.source = "built-in demo, seed " + std::to_string(o.seed);
    d.format = "demo";
    d.feedback = Feedback::Ratings;
    for (int k = 0; k < g; ++k) d.genreNames.push_back(genreName(k));

    // Items: even genre shares over shuffled columns, Zipf rank within the genre.
    out.itemGenre.resize(static_cast<std::size_t>(m));
    for (i64 i = 0; i < m; ++i)
        out.itemGenre[static_cast<std::size_t>(i)] = static_cast<i32>(i % g);
    for (i64 i = m - 1; i > 0; --i)
        std::swap(out.itemGenre[static_cast<std::size_t>(i)],
                  out.itemGenre[rng.below(static_cast<std::uint64_t>(i + 1))]);
    std::vector<std::vector<i64>> genreItems(static_cast<std::size_t>(g));
    for (i64 i = 0; i < m; ++i)
        genreItems[static_cast<std::size_t>(out.itemGenre[static_cast<std::size_t>(i)])].push_back(
            i);
    std::vector<double> zipf(static_cast<std::size_t>(m));
    std::vector<double> genreBoost(static_cast<std::size_t>(g));
    for (int k = 0; k < g; ++k) {
        genreBoost[static_cast<std::size_t>(k)] = 0.5 + rng.uniform();  // some genres are bigger
        auto& items = genreItems[static_cast<std::size_t>(k)];
        // Rank order = column order of a shuffled copy.
        std::vector<i64> ranked = items;
        for (std::size_t a = ranked.size(); a-- > 1;)
            std::swap(ranked[a], ranked[rng.below(a + 1)]);
        for (std::size_t r = 0; r < ranked.size(); ++r)
            zipf[static_cast<std::size_t>(ranked[r])] =
                std::pow(static_cast<double>(r + 1), -o.popularitySkew);
    }

    // Metadata: unique readable titles with a year, as MovieLens writes them.
    d.items.resize(static_cast<std::size_t>(m));
    std::unordered_set<std::string> used;
    for (i64 i = 0; i < m; ++i) {
        const int genre = out.itemGenre[static_cast<std::size_t>(i)];
        const GenreWords& w = kGenres[static_cast<std::size_t>(genre) % kGenres.size()];
        std::string title = baseTitle(w, rng);
        for (int attempt = 0; used.contains(title) && attempt < 20; ++attempt)
            title = baseTitle(w, rng);
        if (used.contains(title)) {  // all short names taken: a numbered sequel
            int n = 2;
            while (used.contains(title + " " + std::to_string(n))) ++n;
            title += " " + std::to_string(n);
        }
        used.insert(title);
        const double z = rng.normal();
        const int year = std::clamp(2012 - static_cast<int>(std::abs(z) * 20.0), 1930, 2024);
        ItemMeta& meta = d.items[static_cast<std::size_t>(i)];
        meta.title = title + " (" + std::to_string(year) + ")";
        meta.year = year;
        meta.genres.push_back(genre);
        if (g > 1 && rng.uniform() < 0.25) {
            int second = static_cast<int>(rng.below(static_cast<std::uint64_t>(g - 1)));
            if (second >= genre) ++second;
            meta.genres.push_back(second);
            std::sort(meta.genres.begin(), meta.genres.end());
        }
        d.itemIds.push_back(std::to_string(i + 1));
    }

    // Global popularity.
    std::vector<double> popCum(static_cast<std::size_t>(m));
    {
        double acc = 0;
        for (i64 i = 0; i < m; ++i) {
            acc += zipf[static_cast<std::size_t>(i)] *
                   genreBoost[static_cast<std::size_t>(out.itemGenre[static_cast<std::size_t>(i)])];
            popCum[static_cast<std::size_t>(i)] = acc;
        }
    }

    // Clusters: 2-3 liked genres each, the primary ones spread over all genres.
    std::vector<int> genreOrder(static_cast<std::size_t>(g));
    std::iota(genreOrder.begin(), genreOrder.end(), 0);
    for (std::size_t a = genreOrder.size(); a-- > 1;)
        std::swap(genreOrder[a], genreOrder[rng.below(a + 1)]);
    std::vector<std::vector<double>> tasteCum(static_cast<std::size_t>(o.clusters));
    std::vector<std::vector<int>> liked(static_cast<std::size_t>(o.clusters));
    for (int c = 0; c < o.clusters; ++c) {
        auto& gs = liked[static_cast<std::size_t>(c)];
        gs.push_back(genreOrder[static_cast<std::size_t>(c % g)]);
        const int want = std::min(g, 2 + static_cast<int>(rng.below(2)));
        for (int attempt = 0; static_cast<int>(gs.size()) < want; ++attempt) {
            // Prefer a partner that no earlier cluster paired with the same primary genre.
            const int cand = static_cast<int>(rng.below(static_cast<std::uint64_t>(g)));
            if (std::find(gs.begin(), gs.end(), cand) != gs.end()) continue;
            bool clash = false;
            if (gs.size() == 1 && attempt < 50)
                for (int e = 0; e < c; ++e)
                    clash |= liked[static_cast<std::size_t>(e)][0] == gs[0] &&
                             liked[static_cast<std::size_t>(e)][1] == cand;
            if (!clash) gs.push_back(cand);
        }
        const double weights3[] = {0.5, 0.3, 0.2}, weights2[] = {0.6, 0.4}, weights1[] = {1.0};
        const double* wts = gs.size() == 3 ? weights3 : gs.size() == 2 ? weights2 : weights1;
        std::vector<double> genreWeight(static_cast<std::size_t>(g), 0.0);
        for (std::size_t k = 0; k < gs.size(); ++k) {
            double sum = 0;
            for (i64 i : genreItems[static_cast<std::size_t>(gs[k])])
                sum += zipf[static_cast<std::size_t>(i)];
            genreWeight[static_cast<std::size_t>(gs[k])] = wts[k] / sum;
        }
        auto& cum = tasteCum[static_cast<std::size_t>(c)];
        cum.resize(static_cast<std::size_t>(m));
        double acc = 0;
        for (i64 i = 0; i < m; ++i) {
            acc +=
                zipf[static_cast<std::size_t>(i)] *
                genreWeight[static_cast<std::size_t>(out.itemGenre[static_cast<std::size_t>(i)])];
            cum[static_cast<std::size_t>(i)] = acc;
        }
        std::vector<std::string> names;
        for (int k : gs) names.push_back(d.genreNames[static_cast<std::size_t>(k)]);
        out.clusterNames.push_back(joinGenres(names));
    }

    // Users.
    const double sigma = 0.8;
    const double mu = std::log(o.meanActivity) - sigma * sigma / 2;
    const i64 maxActivity = std::max<i64>(5, m / 2);
    // Noise ratings: mostly 1-3, sometimes 4-5.
    const std::vector<double> noiseCum{0.15, 0.40, 0.75, 0.90, 1.0};
    CsrMatrix& x = d.interactions;
    x.rows = o.users;
    x.cols = m;
    x.indptr.assign(static_cast<std::size_t>(o.users) + 1, 0);
    x.indices.reserve(
        static_cast<std::size_t>(static_cast<double>(o.users) * o.meanActivity * 1.1));
    x.values.reserve(x.indices.capacity());
    out.userCluster.resize(static_cast<std::size_t>(o.users));
    std::vector<i64> stamp(static_cast<std::size_t>(m), -1);
    std::vector<std::pair<i32, float>> row;
    for (i64 u = 0; u < o.users; ++u) {
        const int c = static_cast<int>(rng.below(static_cast<std::uint64_t>(o.clusters)));
        out.userCluster[static_cast<std::size_t>(u)] = c;
        const i64 n =
            std::clamp<i64>(std::llround(std::exp(mu + sigma * rng.normal())), 5, maxActivity);
        row.clear();
        i64 attempts = 0;
        while (static_cast<i64>(row.size()) < n) {
            ++attempts;
            const bool noisy = rng.uniform() < o.noise;
            i32 item;
            if (attempts > 50 * n + 1000)  // pools exhausted: any unused item
                item = static_cast<i32>(rng.below(static_cast<std::uint64_t>(m)));
            else if (noisy || attempts > 8 * n + 100)
                item = drawFrom(popCum, rng);
            else
                item = drawFrom(tasteCum[static_cast<std::size_t>(c)], rng);
            if (stamp[static_cast<std::size_t>(item)] == u) continue;
            stamp[static_cast<std::size_t>(item)] = u;
            const float rating = noisy ? static_cast<float>(drawFrom(noiseCum, rng) + 1)
                                       : (rng.uniform() < 0.55 ? 4.0f : 5.0f);
            row.emplace_back(item, rating);
        }
        std::sort(row.begin(), row.end());
        for (auto [item, rating] : row) {
            x.indices.push_back(item);
            x.values.push_back(rating);
        }
        x.indptr[static_cast<std::size_t>(u) + 1] = static_cast<i64>(x.indices.size());
        d.userIds.push_back(std::to_string(u + 1));
    }
    return out;
}

}  // namespace vaecf::core
