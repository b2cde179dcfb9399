// SPDX-License-Identifier: MIT
// What fuzzing the readers found (tests/fuzz/README.md), as unit tests with the exact
// message each input now gets: model files whose header declares counts the file cannot
// back, JSON numbers that do not fit an integer, an empty tensor, user ids near 2^63 in a
// Liang split, an absurdly wide side-feature header, and the fast line scanner reading past
// the end of the data.
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

#include "reader_triplets.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/json_number.h"
#include "vaecf/model.h"
#include "vaecf/model_file.h"
#include "vaecf/side_features.h"
#include "vaecf/split.h"

using namespace vaecf::core;
using vaecf::test::TempDir;
using vaecf::test::writeFile;
namespace fs = std::filesystem;

namespace {

// The message of the Error `f` throws ("no error" / "not an Error: ..." otherwise).
std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("not an Error: ") + e.what();
    }
    return "no error";
}

std::string readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t crc32Of(const std::string& s, std::size_t n) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (std::size_t k = 0; k < n; ++k) {
        c ^= static_cast<unsigned char>(s[k]);
        for (int b = 0; b < 8; ++b) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

// A tiny model file of `id` (5 items, 4 users, small layers), as make_model_seeds writes.
fs::path tinyModel(const fs::path& path, const std::string& id) {
    Config config = Config::object();
    for (const ParamSpec& s : modelInfo(id).params) {
        if (s.name == "hidden_dims" || s.name == "encoder_dims") config[s.name] = {3};
        if (s.name == "hidden_size" || s.name == "hidden_dim") config[s.name] = 3;
        if (s.name == "latent_dim") config[s.name] = 2;
    }
    auto model = createModel(id, config);
    CsrMatrix train;
    train.rows = 4;
    train.cols = 5;
    train.indptr = {0, 2, 4, 5, 7};
    train.indices = {0, 1, 1, 2, 3, 0, 4};
    train.values.assign(train.indices.size(), 1.0f);
    model->initialize(train, 7);
    ModelMeta meta;
    meta.itemIds = {"10", "20", "30", "40", "50"};
    saveModelFile(path, *model, meta);
    return path;
}

// Rewrites the JSON header of a model file (and its CRC), as a crafted file would be.
void editHeader(const fs::path& path, const std::function<void(nlohmann::json&)>& edit) {
    const std::string b = readBytes(path);
    std::uint64_t hlen;
    std::memcpy(&hlen, b.data() + 16, 8);
    nlohmann::json h = nlohmann::json::parse(b.substr(24, hlen));
    edit(h);
    const std::string nh = h.dump();
    std::string out = b.substr(0, 16);
    const std::uint64_t n = nh.size();
    out.append(reinterpret_cast<const char*>(&n), 8);
    out += nh;
    out += b.substr(24 + hlen, b.size() - 24 - hlen - 4);
    const std::uint32_t c = crc32Of(out, out.size());
    out.append(reinterpret_cast<const char*>(&c), 4);
    writeFile(path, out);
}

std::string loadError(const fs::path& p) {
    return errorOf([&] { loadModelFile(p); });
}

}  // namespace

class FuzzRegressionsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // jsonInteger: whole numbers in range, nothing else (no float-to-int cast out of range).
    void jsonIntegersAreChecked() {
        using J = nlohmann::json;
        QCOMPARE(jsonInteger<int>(J(42), "f"), 42);
        QCOMPARE(jsonInteger<int>(J(-7.0), "f"), -7);
        QCOMPARE(jsonInteger<std::int64_t>(J(9223372036854775807LL), "f"), 9223372036854775807LL);
        QCOMPARE(jsonInteger<std::uint64_t>(J(18446744073709551615ULL), "f"),
                 18446744073709551615ULL);
        QCOMPARE(errorOf([] { jsonInteger<int>(J(1e10), "field 'id'"); }),
                 std::string("field 'id' must be a whole number from -2147483648 to 2147483647, "
                             "got 10000000000.0"));
        QCOMPARE(errorOf([] { jsonInteger<std::int64_t>(J(9223372036854775808.0), "f"); }),
                 std::string("f must be a whole number from -9223372036854775808 to "
                             "9223372036854775807, got 9.223372036854776e+18"));
        QCOMPARE(errorOf([] { jsonInteger<std::int64_t>(J(18446744073709551615ULL), "f"); }),
                 std::string("f must be a whole number from -9223372036854775808 to "
                             "9223372036854775807, got 18446744073709551615"));
        QCOMPARE(errorOf([] { jsonInteger<std::uint64_t>(J(-1), "f"); }),
                 std::string("f must be a whole number from 0 to 18446744073709551615, got -1"));
        QCOMPARE(errorOf([] { jsonInteger<int>(J(2.5), "f"); }),
                 std::string("f must be a whole number from -2147483648 to 2147483647, got 2.5"));
        QCOMPARE(errorOf([] { jsonInteger<int>(J("3"), "f"); }),
                 std::string("f must be a whole number from -2147483648 to 2147483647, got \"3\""));
        QCOMPARE(errorOf([] { jsonInteger<int>(J(), "f"); }),
                 std::string("f must be a whole number from -2147483648 to 2147483647, got null"));
    }

    // regressions/model/empty-tensor-memcpy-null: an ItemKNN model saved before fitting has
    // empty tensors; loading one passed a null pointer to memcpy (UBSan).
    void modelWithEmptyTensorLoads() {
        TempDir dir;
        const auto p = tinyModel(dir / "knn.vaecf", "itemknn");
        const LoadedModel lm = loadModelFile(p);
        QCOMPARE(lm.model->numItems(), std::int64_t{5});
        QCOMPARE(lm.meta.itemIds.size(), std::size_t{5});
    }

    // regressions/model/declared-*: a header whose counts the tensors cannot back is refused
    // before anything of that size is allocated.
    void modelHeaderCountsMustFitTheTensors() {
        TempDir dir;
        const auto pop = [&](const std::string& name) {
            return tinyModel(dir / (name + ".vaecf"), "popularity");
        };
        auto p = pop("items");
        editHeader(p, [](auto& h) { h["items"] = 1LL << 40; });
        QCOMPARE(loadError(p), p.string() + ": the header declares 1099511627776 items but its "
                                            "tensors hold 5 values (expected at least one value "
                                            "per item)");
        p = pop("items-float");
        editHeader(p, [](auto& h) { h["items"] = 1e300; });
        QCOMPARE(loadError(p), p.string() + ": header field 'items' must be a whole number from "
                                            "-9223372036854775808 to 9223372036854775807, got "
                                            "1e+300");
        p = pop("ids");
        editHeader(p, [](auto& h) { h["item_ids"] = {"a", "b"}; });
        QCOMPARE(loadError(p), p.string() + ": the header lists 2 item ids for 5 items (expected "
                                            "one id per item)");
        p = pop("titles");
        editHeader(p, [](auto& h) { h["item_titles"] = {"a"}; });
        QCOMPARE(loadError(p), p.string() + ": the header lists 1 item titles for 5 items "
                                            "(expected none or one per item)");
        p = pop("users");
        editHeader(p, [](auto& h) { h["users"] = 1LL << 31; });
        QCOMPARE(loadError(p), p.string() + ": the header declares 2147483648 users but its "
                                            "tensors hold 5 values (expected at most 16 users "
                                            "per value, or 2^24)");
        p = tinyModel(dir / "bivae.vaecf", "bivae");
        editHeader(p, [](auto& h) { h["users"] = 1LL << 30; });
        VAECF_EXPECT_ERROR(loadModelFile(p), "the header declares 1073741824 users but its tensors "
                                             "hold");
        VAECF_EXPECT_ERROR(loadModelFile(p), "values (expected at least one value per user)");
        p = tinyModel(dir / "vae.vaecf", "mult-vae");
        editHeader(p, [](auto& h) { h["config"]["hidden_dims"] = std::vector<int>(8, 4096); });
        VAECF_EXPECT_ERROR(loadModelFile(p), ": the header's item count, user count and "
                                             "hyperparameters describe a model of about");
        // The untouched files still load.
        QCOMPARE(loadModelFile(pop("intact")).model->numItems(), std::int64_t{5});
    }

    // regressions/split/uid-int64-max-*: uids near 2^63 without unique_uid.txt (hi - lo + 1
    // overflowed).
    void liangSplitUidNearInt64Max() {
        TempDir dir;
        writeFile(dir / "unique_sid.txt", "10\n20\n");
        writeFile(dir / "train.csv", "uid,sid\n0,0\n9223372036854775807,1\n");
        writeFile(dir / "validation_tr.csv", "uid,sid\n2,0\n");
        writeFile(dir / "validation_te.csv", "uid,sid\n2,1\n");
        writeFile(dir / "test_tr.csv", "uid,sid\n3,1\n");
        writeFile(dir / "test_te.csv", "uid,sid\n3,0\n");
        QCOMPARE(errorOf([&] { loadLiangSplit(dir.path()); }),
                 (dir / "train.csv").string() +
                     ": user indices run from 0 to 9223372036854775807 for only 2 interactions: "
                     "uids must be contiguous within a part");
    }

    // An absurdly wide side-feature header is refused before rows x columns are allocated.
    void sideFeaturesBillionColumnHeader() {
        TempDir dir;
        std::string header = "id";
        for (int k = 0; k < 1000001; ++k) header += ",f";
        const auto p = writeFile(dir / "features.csv", header + "\n");
        const std::vector<std::string> ids(100000, "x");
        VAECF_EXPECT_ERROR(readSideFeatures(p.string(), ids), p.string() + ":1: ");
        VAECF_EXPECT_ERROR(readSideFeatures(p.string(), ids), "1000002 fields");
    }

    // The fused scanner read s[0] of an empty rating at the very end of the data: one byte past
    // a memory-mapped file (found by review while fuzzing; ASan cannot see mappings). Here the
    // data ends right before a page that is not readable.
    void fastScannerStopsAtTheEndOfTheData() {
        const long page = sysconf(_SC_PAGESIZE);
        void* m = mmap(nullptr, static_cast<std::size_t>(2 * page), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        QVERIFY(m != MAP_FAILED);
        char* base = static_cast<char*>(m);
        QCOMPARE(mprotect(base + page, static_cast<std::size_t>(page), PROT_NONE), 0);
        const std::string text = "1,2,";  // user, item, empty rating, no line end
        char* start = base + page - static_cast<long>(text.size());
        std::memcpy(start, text.data(), text.size());
        detail::LineFormat lf;
        lf.kind = detail::LineFormat::Kind::Fields;
        lf.delim = detail::Delim::ch(',');
        lf.fieldCount = 3;
        lf.valueCol = 2;
        const std::vector<detail::Segment> segments = {
            {"ratings.csv", std::string_view(start, text.size()), 1}};
        QCOMPARE(errorOf([&] { detail::parseTriplets(segments, lf, {}, 1); }),
                 std::string("ratings.csv:1: rating is empty"));
        munmap(m, static_cast<std::size_t>(2 * page));
    }
};

QTEST_GUILESS_MAIN(FuzzRegressionsTest)
#include "fuzz_regressions_test.moc"
