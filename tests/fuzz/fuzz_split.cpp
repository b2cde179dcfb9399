// SPDX-License-Identifier: MIT
// loadLiangSplit() on a folder in Liang's layout. Input: 1 control byte then the files in
// this order, separated by "\n%%\n": unique_sid.txt, train.csv, validation_tr.csv,
// validation_te.csv, test_tr.csv, test_te.csv, unique_uid.txt.
//   byte 0: bit k set leaves file k out (a missing file must be an Error too)
#include <array>

#include "fuzz_util.h"
#include "vaecf/error.h"
#include "vaecf/split.h"

using namespace vaecf;

namespace {

void checkHeldOut(const core::HeldOut& h, std::int64_t items, const char* what) {
    fuzz::checkCsr(h.foldIn, std::string(what) + " fold-in");
    fuzz::checkCsr(h.heldOut, std::string(what) + " held-out");
    fuzz::check(h.foldIn.rows == h.heldOut.rows, "fold-in and held-out rows agree");
    fuzz::check(h.foldIn.cols == items && h.heldOut.cols == items, "held-out parts: every item");
    fuzz::check(h.userIds.size() == static_cast<std::size_t>(h.foldIn.rows), "one id per row");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    static const std::array<const char*, 7> files = {
        "unique_sid.txt", "train.csv", "validation_tr.csv", "validation_te.csv",
        "test_tr.csv",    "test_te.csv", "unique_uid.txt"};
    const std::uint8_t missing = in.byte();
    const fuzz::Scratch scratch;
    const auto dir = scratch / "liang-split";
    const auto parts = in.parts(files.size());
    for (std::size_t k = 0; k < parts.size(); ++k)
        if (!(missing & (1u << k))) fuzz::writeFile(dir / files[k], parts[k]);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    try {
        const core::Split s = core::loadLiangSplit(dir);
        const auto items = static_cast<std::int64_t>(s.itemIds.size());
        fuzz::checkCsr(s.train, "train");
        fuzz::check(s.train.cols == items, "train: every item");
        fuzz::check(s.trainUserIds.size() == static_cast<std::size_t>(s.train.rows),
                    "one id per train row");
        checkHeldOut(s.validation, items, "validation");
        checkHeldOut(s.test, items, "test");
        (void)s.fingerprintHex();
    } catch (const core::Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
