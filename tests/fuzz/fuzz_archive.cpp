// SPDX-License-Identifier: MIT
// readDataset() on archives and compressed files (libarchive: .zip, .tar, .tar.gz, .gz, .xz,
// .bz2, .7z). Input: 2 control bytes then the archive's bytes.
//   byte 0: the file name (which extension and, for single compressed files, which member
//           name the stem gives: ratings.csv.gz, u.data.xz ...)
//   byte 1: bit 0 keepFileOrder; bits 1-4 ReadOptions::format (mostly "auto")
#include <array>

#include "fuzz_util.h"
#include "vaecf/dataset.h"
#include "vaecf/error.h"

using namespace vaecf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    static const std::array<const char*, 12> names = {
        "ml-latest-small.zip", "data.tar",        "data.tar.gz",     "ratings.csv.gz",
        "u.data.xz",           "ratings.dat.bz2", "data.7z",         "ml-1m.zip",
        "ratings.txt.gz",      "data.tgz",        "train_triplets.txt.gz", "netflix.tar.bz2"};
    static const std::array<const char*, 11> formats = {
        "auto", "ml100k", "ml1m", "mlcsv", "netflix", "msd", "lines", "lines-count",
        "delimited", "lastfm", "liang"};
    const char* name = names[in.byte() % names.size()];
    const std::uint8_t flags = in.byte();
    const unsigned f = (flags >> 1) & 15;

    const fuzz::Scratch scratch;
    const auto& dir = scratch.path();
    const auto path = dir / name;
    fuzz::writeFile(path, in.rest());

    core::ReadOptions o;
    o.format = f < formats.size() ? formats[f] : "auto";
    o.threads = 1;
    o.keepFileOrder = flags & 1;
    try {
        const core::Dataset ds = core::readDataset(path, o);
        fuzz::checkCsr(ds.interactions, "interactions");
        fuzz::check(ds.userIds.size() == static_cast<std::size_t>(ds.numUsers()),
                    "one id per user");
        fuzz::check(ds.itemIds.size() == static_cast<std::size_t>(ds.numItems()),
                    "one id per item");
        fuzz::check(ds.items.empty() || ds.items.size() == ds.itemIds.size(),
                    "metadata: none or one per item");
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
