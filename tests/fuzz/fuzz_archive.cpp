// SPDX-License-Identifier: MIT
// readDataset() on archives and compressed files (libarchive: .zip, .tar, .tar.gz, .gz, .xz,
// .bz2, .7z). Input: 2 control bytes then the archive's bytes.
//   byte 0: the file name (which extension and, for single compressed files, which member
//           name the stem gives: ratings.csv.gz, u.data.xz ...)
//   byte 1: bit 0 keepFileOrder; bits 1-4 ReadOptions::format (mostly "auto"); bits 5-6 a
//           memory limit (ReadOptions::memoryLimit: none, 16 KiB, 256 KiB, 1 MiB: small
//           enough that archive members, compressed metadata and members read together hit
//           it); bit 7 skipBadLines with a 64-byte line limit (maxLineBytes)
// Error is the expected way to refuse; any other exception, a crash, a sanitizer report, a
// hang or a huge allocation is a finding, and so is a dataset or a read report that breaks
// the invariants fuzz_dataset checks, or an estimate (onEstimate) that disagrees with them.
#include <array>
#include <cmath>
#include <optional>

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
    static const double limits[] = {0, 16 << 10, 256 << 10, 1 << 20};
    o.memoryLimit = limits[(flags >> 5) & 3];
    if (flags & 0x80) {
        o.skipBadLines = true;
        o.maxLineBytes = 64;
    }
    std::optional<core::MemoryEstimate> reported;
    o.onEstimate = [&reported](const core::MemoryEstimate& e) {
        fuzz::check(!reported, "onEstimate is called once");
        reported = e;
    };
    try {
        const core::Dataset ds = core::readDataset(path, o);
        fuzz::checkDataset(ds, o.keepFileOrder);
        fuzz::checkReport(ds, o.skipBadLines);
        fuzz::check(reported && ds.readReport.memoryEstimate == reported->bytes,
                    "the report holds the estimate onEstimate was given");
        // readDataset() refuses before reading what it estimates above the limit.
        fuzz::check(o.memoryLimit == 0 || reported->bytes <= o.memoryLimit,
                    "a dataset read under a memory limit was estimated within it");
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    if (reported) {
        const core::MemoryEstimate& e = *reported;
        fuzz::check(std::isfinite(e.bytes) && e.bytes >= 0 && e.interactions >= 0 &&
                        e.limit >= 0 && !e.describe().empty(),
                    "a memory estimate is finite, not negative and describes itself");
        fuzz::check(o.memoryLimit == 0 || e.limit == o.memoryLimit,
                    "the memory limit is the one asked for");
    }
    return 0;
}
