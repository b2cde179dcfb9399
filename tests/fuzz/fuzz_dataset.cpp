// SPDX-License-Identifier: MIT
// readDataset() on plain files of every format. Input: 4 control bytes then the files,
// separated by "\n%%\n" (see fuzz_util.h):
//   byte 0: the layout (which file names the parts get: u.data + u.item + u.genre, ...)
//   byte 1: ReadOptions::format (an id of formatIds(), mostly "auto")
//   byte 2: bit 0 read the folder instead of the first file; bit 1 keepFileOrder;
//           bits 2-4 delimiter (detect, tab , ; | :: space x); bits 5-6 header (unset, yes,
//           no); bit 7 a progress callback that cancels
//   byte 3: columns (user, item, rating, time); 0 gives the defaults 0, 1, 2, -1
// Error is the expected way to refuse; any other exception, a crash, a sanitizer report, a
// hang or a huge allocation is a finding, and so is a dataset that breaks its invariants.
#include <array>

#include "fuzz_util.h"
#include "vaecf/dataset.h"
#include "vaecf/error.h"

using namespace vaecf;

namespace {

struct Layout {
    std::vector<const char*> files;  // the first one holds the interactions
};

const std::vector<Layout>& layouts() {
    static const std::vector<Layout> all = {
        {{"u.data", "u.item", "u.genre"}},
        {{"ratings.dat", "movies.dat"}},
        {{"ratings.csv", "movies.csv"}},
        {{"combined_data_1.txt", "combined_data_2.txt", "movie_titles.csv"}},
        {{"training_set/mv_0000001.txt", "training_set/mv_0000002.txt", "movie_titles.csv"}},
        {{"train_triplets.txt"}},
        {{"user_artists.dat", "artists.dat"}},
        {{"users.dat"}},
        {{"ratings.txt"}},
        {{"data.csv"}},
        {{"data.tsv", "README.md", "other.txt"}},
        {{"ml-1m/ratings.dat", "ml-1m/movies.dat"}},
        {{"u1.base", "u.item"}},
        {{"train.csv", "unique_sid.txt"}},
    };
    return all;
}

const char* formatAt(std::uint8_t b) {
    static const std::array<const char*, 11> ids = {"auto",  "ml100k", "ml1m",        "mlcsv",
                                                    "netflix", "msd",  "lines",       "lines-count",
                                                    "delimited", "lastfm", "liang"};
    return b < ids.size() ? ids[b] : "auto";
}

void checkDataset(const core::Dataset& ds, bool keepOrder) {
    fuzz::checkCsr(ds.interactions, "interactions");
    fuzz::check(ds.userIds.size() == static_cast<std::size_t>(ds.numUsers()), "one id per user");
    fuzz::check(ds.itemIds.size() == static_cast<std::size_t>(ds.numItems()), "one id per item");
    fuzz::check(ds.numInteractions() > 0, "a dataset read without error has interactions");
    fuzz::check(ds.items.empty() || ds.items.size() == ds.itemIds.size(),
                "metadata: none or one per item");
    for (const auto& m : ds.items)
        for (auto g : m.genres)
            fuzz::check(g >= 0 && static_cast<std::size_t>(g) < ds.genreNames.size(),
                        "genre index in range");
    for (const auto& id : ds.itemIds) fuzz::check(!id.empty(), "item ids are not empty");
    for (const auto& id : ds.userIds) fuzz::check(!id.empty(), "user ids are not empty");
    if (keepOrder) {
        const auto& o = ds.fileOrder;
        fuzz::check(o.users.size() == o.items.size(), "file order: as many users as items");
        fuzz::check(o.users.size() >= static_cast<std::size_t>(ds.numInteractions()),
                    "file order: every stored interaction");
        for (std::size_t k = 0; k < o.users.size(); ++k)
            fuzz::check(o.users[k] >= 0 && o.users[k] < ds.numUsers() && o.items[k] >= 0 &&
                            o.items[k] < ds.numItems(),
                        "file order in range");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const Layout& layout = layouts()[in.byte() % layouts().size()];
    const char* format = formatAt(in.byte() % 16);
    const std::uint8_t flags = in.byte();
    const std::uint8_t cols = in.byte();

    const fuzz::Scratch scratch;
    const auto& dir = scratch.path();
    const auto parts = in.parts(layout.files.size());
    for (std::size_t k = 0; k < parts.size(); ++k) fuzz::writeFile(dir / layout.files[k], parts[k]);

    core::ReadOptions o;
    o.format = format;
    o.threads = 1;
    o.keepFileOrder = flags & 2;
    static const char delims[] = {0, '\t', ',', ';', '|', ':', ' ', 'x'};
    o.delimiter = delims[(flags >> 2) & 7];
    switch ((flags >> 5) & 3) {
    case 1: o.header = true; break;
    case 2: o.header = false; break;
    default: break;
    }
    if (flags & 0x80) {
        int calls = 0;
        o.progress = [calls](std::uint64_t, std::uint64_t) mutable { return ++calls < 2; };
    }
    static const int users[] = {0, 1, 2, 3}, items[] = {1, 0, 2, 3}, ratings[] = {2, -1, 3, 0},
                     times[] = {-1, 3, 2, 4};
    o.userColumn = users[cols & 3];
    o.itemColumn = items[(cols >> 2) & 3];
    o.ratingColumn = ratings[(cols >> 4) & 3];
    o.timeColumn = times[(cols >> 6) & 3];

    const auto path = (flags & 1) ? dir : dir / layout.files[0];
    try {
        const core::Dataset ds = core::readDataset(path, o);
        checkDataset(ds, o.keepFileOrder);
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    if (std::string_view(format) == "auto") {
        try {
            core::detectFormat(path);
        } catch (const core::Error&) {
        }
    }
    return 0;
}
