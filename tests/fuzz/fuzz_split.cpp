// SPDX-License-Identifier: MIT
// loadLiangSplit() on a folder in Liang's layout, then exportLiangSplit() of what it read and
// loadLiangSplit() of that again. Input: 1 control byte then the files in this order, separated
// by "\n%%\n": unique_sid.txt, train.csv, validation_tr.csv, validation_te.csv, test_tr.csv,
// test_te.csv, unique_uid.txt.
//   byte 0: bits 0-6: bit k set leaves file k out (a missing file must be an Error too);
//           bit 7 skips bad lines (skipBadLines, as the UI and the CLI can), otherwise they fail
// Every load goes through loadLiangSplit(folder, skipBadLines, report), the overload the UI and
// the CLI call, and the report must agree with the split. A split that loads must export and
// load back equal (item ids, user ids, every matrix, fingerprint): the export is what other
// tools train on.
#include <algorithm>
#include <array>
#include <string>

#include "fuzz_util.h"
#include "vaecf/dataset.h"
#include "vaecf/error.h"
#include "vaecf/split.h"

using namespace vaecf;

namespace {

// What the report of a successful load must say. pairsToCsr counts every pair it is given in
// `records` and every repeat it drops in `duplicates`, for all five matrices, so the pairs kept
// are exactly the stored entries.
void checkReport(const core::ReadReport& r, const core::Split& s, bool skipping,
                 const std::filesystem::path& dir) {
    if (!skipping) fuzz::check(r.skippedLines == 0, "no line skipped unless skipping");
    fuzz::check(r.skippedLines >= 0, "skipped lines counted from 0");
    fuzz::check(r.firstSkipped.size() ==
                    static_cast<std::size_t>(std::min<std::int64_t>(
                        r.skippedLines, core::ReadReport::kExamples)),
                "the first kExamples skipped lines are kept");
    const std::string prefix = dir.string() + "/";
    for (const auto& m : r.firstSkipped) {
        fuzz::check(!m.empty(), "skipped-line messages are not empty");
        fuzz::check(m.compare(0, prefix.size(), prefix) == 0, "skipped-line messages name the file");
    }
    fuzz::check(r.duplicates >= 0 && r.records >= r.duplicates, "records include the repeats");
    fuzz::check(r.records - r.duplicates == fuzz::splitNnz(s),
                "records - duplicates == the entries of the five matrices");
    fuzz::check(r.memoryEstimate > 0, "a memory estimate");
}

// The split written by exportLiangSplit reads back as the same split.
void checkRoundTrip(const core::Split& s, const fuzz::Scratch& scratch) {
    const auto out = scratch / "exported";
    core::Split back;
    core::ReadReport r;
    try {
        core::exportLiangSplit(s, out);
        back = core::loadLiangSplit(out, false, &r);
    } catch (const core::Error& e) {
        fuzz::broken(std::string("the exported split does not load back: ") + e.what());
    }
    fuzz::checkSplit(back);
    fuzz::check(r.skippedLines == 0 && r.duplicates == 0, "the export writes no bad or repeated line");
    fuzz::check(r.records == fuzz::splitNnz(back), "the export writes one line per entry");
    fuzz::check(back.itemIds == s.itemIds, "round trip: item ids");
    fuzz::check(back.trainUserIds == s.trainUserIds, "round trip: train user ids");
    fuzz::check(back.validation.userIds == s.validation.userIds, "round trip: validation user ids");
    fuzz::check(back.test.userIds == s.test.userIds, "round trip: test user ids");
    fuzz::check(back.train == s.train, "round trip: train");
    fuzz::check(back.validation.foldIn == s.validation.foldIn &&
                    back.validation.heldOut == s.validation.heldOut,
                "round trip: validation");
    fuzz::check(back.test.foldIn == s.test.foldIn && back.test.heldOut == s.test.heldOut,
                "round trip: test");
    fuzz::check(back.fingerprintHex() == s.fingerprintHex(), "round trip: fingerprint");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    static const std::array<const char*, 7> files = {
        "unique_sid.txt", "train.csv", "validation_tr.csv", "validation_te.csv",
        "test_tr.csv",    "test_te.csv", "unique_uid.txt"};
    const std::uint8_t control = in.byte();
    const bool skipBadLines = (control & 0x80) != 0;
    const fuzz::Scratch scratch;
    const auto dir = scratch / "liang-split";
    const auto parts = in.parts(files.size());
    for (std::size_t k = 0; k < parts.size(); ++k)
        if (!(control & (1u << k))) fuzz::writeFile(dir / files[k], parts[k]);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    core::Split s;
    core::ReadReport report;
    try {
        s = core::loadLiangSplit(dir, skipBadLines, &report);
    } catch (const core::Error& e) {
        fuzz::refused(e);
        return 0;
    }
    fuzz::checkSplit(s);
    checkReport(report, s, skipBadLines, dir);
    (void)s.fingerprintHex();
    // Nothing skipped: reading strictly takes the same path and gives the same split.
    if (skipBadLines && report.skippedLines == 0) {
        try {
            fuzz::check(core::loadLiangSplit(dir).fingerprint() == s.fingerprint(),
                        "nothing skipped: the strict read gives the same split");
        } catch (const core::Error& e) {
            fuzz::broken(std::string("nothing skipped, yet the strict read fails: ") + e.what());
        }
    }
    checkRoundTrip(s, scratch);
    return 0;
}
