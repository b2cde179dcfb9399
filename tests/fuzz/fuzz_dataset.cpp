// SPDX-License-Identifier: MIT
// readDataset() on plain files of every format. Input: 4 control bytes then the files,
// separated by "\n%%\n" (see fuzz_util.h):
//   byte 0: the layout (which file names the parts get: u.data + u.item + u.genre, ...)
//   byte 1: bits 0-3 ReadOptions::format (an id of formatIds(), 11 an unknown id, 12-15
//           "auto"); bit 4 skipBadLines; bit 5 small limits: 64-byte lines (maxLineBytes)
//           and 32-byte chunks (minChunkBytes: chunk boundaries without large inputs); bit 6
//           a 1 MiB memory limit; bit 7 estimateDatasetMemory() as well, which must agree
//           with the estimate readDataset() reports through onEstimate
//   byte 2: bit 0 read the folder instead of the first file; bit 1 keepFileOrder;
//           bits 2-4 delimiter (detect, tab , ; | :: space x); bits 5-6 header (unset, yes,
//           no); bit 7 a progress callback that cancels
//   byte 3: columns (user, item, rating, time); 0 gives the defaults 0, 1, 2, -1
// Error is the expected way to refuse; any other exception, a crash, a sanitizer report, a
// hang or a huge allocation is a finding, and so is a dataset that breaks its invariants.
#include <array>
#include <cmath>
#include <optional>

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
    static const std::array<const char*, 12> ids = {
        "auto",      "ml100k", "ml1m",  "mlcsv", "netflix", "msd",        "lines",
        "lines-count", "delimited", "lastfm", "liang", "ml100k "};
    return b < ids.size() ? ids[b] : "auto";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const Layout& layout = layouts()[in.byte() % layouts().size()];
    const std::uint8_t options = in.byte();
    const char* format = formatAt(options & 15);
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
    o.skipBadLines = options & 0x10;
    if (options & 0x20) {
        o.maxLineBytes = 64;
        o.minChunkBytes = 32;
    }
    if (options & 0x40) o.memoryLimit = 1 << 20;
    std::optional<core::MemoryEstimate> reported;
    o.onEstimate = [&reported](const core::MemoryEstimate& e) {
        fuzz::check(!reported, "onEstimate is called once");
        reported = e;
    };

    const auto path = (flags & 1) ? dir : dir / layout.files[0];
    try {
        const core::Dataset ds = core::readDataset(path, o);
        fuzz::checkDataset(ds, o.keepFileOrder);
        fuzz::checkReport(ds, o.skipBadLines);
        fuzz::check(reported && ds.readReport.memoryEstimate == reported->bytes,
                    "the report holds the estimate onEstimate was given");
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    if (reported) {
        const core::MemoryEstimate& e = *reported;
        fuzz::check(std::isfinite(e.bytes) && e.bytes >= 0 && e.interactions >= 0 &&
                        e.limit >= 0 && !e.describe().empty(),
                    "a memory estimate is finite, not negative and describes itself");
        fuzz::check(!(options & 0x40) || e.limit == double(1 << 20), "the memory limit is the one asked for");
    }
    if (options & 0x80) {
        o.onEstimate = nullptr;
        try {
            const core::MemoryEstimate e = core::estimateDatasetMemory(path, o);
            fuzz::check(!reported || (e.bytes == reported->bytes && e.format == reported->format &&
                                      e.interactions == reported->interactions),
                        "estimateDatasetMemory() agrees with readDataset()'s estimate");
        } catch (const core::Error& e) {
            fuzz::refused(e);
        }
    }
    if (std::string_view(format) == "auto") {
        try {
            core::detectFormat(path);
        } catch (const core::Error&) {
        }
    }
    return 0;
}
