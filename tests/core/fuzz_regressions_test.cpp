// SPDX-License-Identifier: MIT
// What fuzzing the readers found (tests/fuzz/README.md), as unit tests with the exact
// message each input now gets: model files whose header declares counts the file cannot
// back, JSON numbers that do not fit an integer, an empty tensor, user ids near 2^63 in a
// Liang split, an absurdly wide side-feature header, the fast line scanner reading past
// the end of the data, and training checkpoints that are corrupted or do not fit the model or
// the split they are resumed on.
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

#include "../fuzz/checkpoint_split.h"
#include "fixtures.h"
#include "reader_triplets.h"
#include "test_util.h"
#include "vaecf/checkpoint.h"
#include "vaecf/error.h"
#include "vaecf/json_number.h"
#include "vaecf/model.h"
#include "vaecf/model_file.h"
#include "vaecf/side_features.h"
#include "vaecf/split.h"
#include "vaecf/trainer.h"

using namespace vaecf::core;
using vaecf::test::errorOf;
using vaecf::test::TempDir;
using vaecf::test::writeFile;
namespace fs = std::filesystem;

namespace {

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
    model->initialize(vaecf::test::tinyTrain(), 7);
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

// A checkpoint of `id` after `epochs` of 3 epochs with validation, on the split of the
// checkpoint seeds (tests/fuzz/checkpoint_split.h: 4 users x 5 items) with the seeds' small
// sizes and 2 users a batch (two batches, two optimizer updates an epoch).
fs::path tinyCheckpoint(const fs::path& path, const std::string& id, int epochs = 1) {
    Config config = Config::object();
    for (const ParamSpec& s : modelInfo(id).params) {
        if (s.name == "hidden_dims" || s.name == "encoder_dims") config[s.name] = {3};
        if (s.name == "hidden_size" || s.name == "hidden_dim") config[s.name] = 3;
        if (s.name == "latent_dim" || s.name == "z1_size" || s.name == "z2_size" ||
            s.name == "pseudo_inputs")
            config[s.name] = 2;
        if (s.name == "batch_size") config[s.name] = 2;
    }
    TrainOptions o;
    o.epochs = 3;
    o.seed = 7;
    o.threads = 1;
    Trainer t(vaecf::fuzz::checkpointSplit(), createModel(id, config), o);
    for (int k = 0; k < epochs; ++k) t.runEpoch();
    t.saveCheckpoint(path);
    return path;
}

// Rewrites the header and tensors of a checkpoint (tensor names with their "state/" or
// "best/" prefix), with a right CRC, as a crafted file would be.
void editCheckpoint(const fs::path& path,
                    const std::function<void(nlohmann::json&, TensorMap&)>& edit) {
    ContainerFile f = readContainerFile(path, "checkpoint");
    edit(f.header, f.tensors);
    writeContainerFile(path, f.header, tensorRefs(f.tensors));
}

std::string checkpointError(const fs::path& path) {
    return errorOf([&] { loadCheckpointFile(path); });
}

// The message of resuming `path` on `split` (the seeds' split by default).
std::string resumeError(const fs::path& path,
                        const Split& split = vaecf::fuzz::checkpointSplit()) {
    return errorOf([&] {
        ResumeOptions ro;
        ro.threads = 1;
        Trainer t(split, loadCheckpointFile(path), ro);
        t.run();
    });
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
        // A one-sided model keeps only the user count: 2^31 users load without a row index
        // of that size (they once cost 16 GiB of offsets, then were refused beyond 16 users
        // per stored value, which a real popularity model of 20M users could exceed).
        p = pop("users");
        editHeader(p, [](auto& h) { h["users"] = 1LL << 31; });
        QCOMPARE(loadModelFile(p).model->numUsers(), std::int64_t{1} << 31);
        editHeader(p, [](auto& h) { h["users"] = (1LL << 31) + 1; });
        QCOMPARE(loadError(p), p.string() + ": the model file header has an impossible user count");
        p = tinyModel(dir / "bivae.vaecf", "bivae");
        // Without "users" (allowed for older one-sided files) the message said "the training
        // matrix has no users" (found by fuzz_model's coverage review).
        editHeader(p, [](auto& h) { h.erase("users"); });
        QCOMPARE(loadError(p), p.string() + ": the header lacks 'users', which a bivae model "
                                            "needs (its weights are per user)");
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

    // A BiVAE model file whose side-feature prior has an absurd shape is refused by that shape
    // before anything is sized by it: a 2^50 x 0 'user.prior.W' passed the reader's bound
    // (rows x cols within 2^40 values) and made setState() allocate 4 x 2^50 x K floats.
    void modelPriorShapeIsCheckedFirst() {
        TempDir dir;
        const auto p = tinyModel(dir / "bivae.vaecf", "bivae");
        const auto withPrior = [&](const std::string& name, std::int64_t rows, std::int64_t cols) {
            const auto q = dir / (name + ".vaecf");
            fs::copy_file(p, q);
            ContainerFile f = readContainerFile(q, "model");
            f.tensors["user.prior.W"] =
                Tensor{rows, cols, std::vector<float>(static_cast<std::size_t>(rows * cols), 0.5f)};
            writeContainerFile(q, f.header, tensorRefs(f.tensors));
            return q;
        };
        auto q = withPrior("huge", 1LL << 50, 0);
        QCOMPARE(loadError(q), q.string() + ": model state tensor 'user.prior.W' is "
                                            "1125899906842624 x 0, expected 1125899906842624 x 2");
        q = withPrior("wide", 3, 5);
        QCOMPARE(loadError(q), q.string() + ": model state tensor 'user.prior.W' is 3 x 5, "
                                            "expected 3 x 2");
        // The right shape gets as far as the prior's other tensors.
        q = withPrior("no-bias", 3, 2);
        QCOMPARE(loadError(q), q.string() + ": model state lacks tensor 'user.prior.b'");
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

    // A first row whose features are all "nan" or "inf" was taken for a header and skipped
    // without a word; the message then blamed the ids ("none of the file's 1 id is among the
    // data's 1"). It is data, refused with its line like the same row anywhere else (found by
    // the coverage review of fuzz_side_features).
    void aFirstRowOfNonFiniteFeaturesIsData() {
        TempDir dir;
        const auto p = writeFile(dir / "features.csv", "1,nan,inf\n2,3,4\n");
        VAECF_EXPECT_ERROR(readSideFeatures(p.string(), {"1", "2"}),
                           p.string() + ":1: field 2 ('nan') is not a finite number");
        writeFile(p, "id,a,b\n1,3,4\n2,5,6\n");  // names are a header
        QCOMPARE(readSideFeatures(p.string(), {"1", "2"}).cols, std::int64_t(2));
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

    // Checkpoints: integers are whole numbers that fit (nlohmann's get<int>() cast a JSON float
    // unchecked: undefined behaviour for 1e300, 2.5 silently truncated), list elements too.
    // regressions/checkpoint/float-cast-*.
    void checkpointIntegersAreWholeNumbers() {
        TempDir dir;
        const auto edited = [&](const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
            const auto p = tinyCheckpoint(dir / (name + ".ckpt"), "mult-vae");
            editCheckpoint(p, [&](nlohmann::json& h, TensorMap&) { edit(h); });
            return checkpointError(p);
        };
        const std::string p = (dir / "x.ckpt").string();
        COMPARE_MSG(edited("x", [](auto& h) { h["options"]["epochs"] = 1e300; }),
                 p + ": checkpoint field 'options.epochs' must be a whole number from "
                     "-2147483648 to 2147483647, got 1e+300");
        COMPARE_MSG(edited("x", [](auto& h) { h["options"]["epochs"] = 2.5; }),
                 p + ": checkpoint field 'options.epochs' must be a whole number from "
                     "-2147483648 to 2147483647, got 2.5");
        COMPARE_MSG(edited("x", [](auto& h) { h["options"]["metrics"]["recall_ks"] = {20, 1e300}; }),
                 p + ": checkpoint field 'options.metrics.recall_ks[1]' must be a whole number "
                     "from -2147483648 to 2147483647, got 1e+300");
        COMPARE_MSG(edited("x", [](auto& h) { h["trainer"]["resumed_after"] = {-1e300}; }),
                 p + ": checkpoint field 'trainer.resumed_after[0]' must be a whole number from "
                     "-2147483648 to 2147483647, got -1e+300");
        COMPARE_MSG(edited("x", [](auto& h) { h["options"]["seed"] = -1; }),
                 p + ": checkpoint field 'options.seed' must be a whole number from 0 to "
                     "18446744073709551615, got -1");
        COMPARE_MSG(edited("x", [](auto& h) { h["history"][0]["updates"] = 1e300; }),
                 p + ": checkpoint field 'history[0].updates' must be a whole number from "
                     "-9223372036854775808 to 9223372036854775807, got 1e+300");
        COMPARE_MSG(edited("x", [](auto& h) { h["trainer"]["best_epoch"] = "1"; }),
                 p + ": checkpoint field 'trainer.best_epoch' must be a whole number from "
                     "-2147483648 to 2147483647, got \"1\"");
        // Whole floats are whole numbers.
        COMPARE_MSG(edited("x", [](auto& h) { h["options"]["epochs"] = 3.0; }), std::string("no error"));
    }

    // Checkpoints: counts of a split, a history that runs 1, 2, 3 ... with at most one optimizer
    // update per batch, metrics as the options name them, patience counter and resume points
    // within the epochs run, a known iterative model. regressions/checkpoint/*.
    void checkpointFieldsAreConsistent() {
        TempDir dir;
        const auto edited = [&](const std::function<void(nlohmann::json&)>& edit, int epochs = 1) {
            const auto p = tinyCheckpoint(dir / "x.ckpt", "mult-vae", epochs);
            editCheckpoint(p, [&](nlohmann::json& h, TensorMap&) { edit(h); });
            return checkpointError(p);
        };
        const std::string p = (dir / "x.ckpt").string();
        COMPARE_MSG(edited([](auto& h) { h["items"] = -5; }),
                 p + ": checkpoint field 'items' must be from 1 to 2147483647, got -5");
        COMPARE_MSG(edited([](auto& h) { h["users"] = 1LL << 40; }),
                 p + ": checkpoint field 'users' must be from 1 to 2147483648, got 1099511627776");
        COMPARE_MSG(edited([](auto& h) { h["history"][1]["epoch"] = 3; }, 2),
                 p + ": checkpoint field 'history[1].epoch' is 3, not 2");
        COMPARE_MSG(edited([](auto& h) { h["history"][0]["batches"] = 1000000000; }),
                 p + ": checkpoint field 'history[0].batches' is 1000000000, more than an epoch "
                     "on 4 users and 5 items has (2304)");
        COMPARE_MSG(edited([](auto& h) { h["history"][0]["batches"] = -1; }),
                 p + ": checkpoint field 'history[0].batches' must be 0 or more, got -1");
        COMPARE_MSG(edited([](auto& h) { h["history"][0]["updates"] = 5; }),
                 p + ": checkpoint field 'history[0].updates' is 5, not from 0 (the epoch "
                     "before) to 2 (one per batch)");
        COMPARE_MSG(edited([](auto& h) { h["history"][1]["updates"] = 1; }, 2),
                 p + ": checkpoint field 'history[1].updates' is 1, not from 2 (the epoch "
                     "before) to 4 (one per batch)");
        COMPARE_MSG(edited([](auto& h) { h["trainer"]["since_best"] = 2147483647; }),
                 p + ": checkpoint field 'trainer.since_best' is 2147483647, not from 0 to 0 "
                     "(the epochs after the best one)");
        COMPARE_MSG(edited([](auto& h) { h["trainer"]["resumed_after"] = {1, 0}; }),
                 p + ": checkpoint field 'trainer.resumed_after[1]' is 0, not from 1 (the entry "
                     "before) to 1 (the epochs run)");
        COMPARE_MSG(edited([](auto& h) { h["trainer"]["epochs_run"] = -1; }),
                 p + ": checkpoint field 'trainer.epochs_run' is -1 but the history holds 1 epochs");
        const std::string metrics =
            "coverage@20, hit@20, mrr@100, ndcg@100, precision@20, recall@20, recall@50";
        COMPARE_MSG(edited([](auto& h) { h["options"]["select_by"] = "ndcg@7"; }),
                 p + ": checkpoint field 'options.select_by' is 'ndcg@7', not one of the metrics "
                     "the run computes (" + metrics + ")");
        COMPARE_MSG(edited([](auto& h) { h["history"][0]["validation"]["mean"].erase("hit@20"); }),
                 p + ": checkpoint field 'history[0].validation.mean' does not hold the metrics "
                     "of options.metrics (" + metrics + ")");
        COMPARE_MSG(edited([](auto& h) { h["options"]["metrics"]["precision_k"] = 0; }),
                 p + ": training option 'metrics': cut-offs must be >= 1");
        COMPARE_MSG(edited([](auto& h) {
                        h["model"] = "ease";
                        h["config"] = nlohmann::json::object();
                    }),
                 p + ": checkpoint field 'model': ease fits in one step: its runs have no "
                     "checkpoints");
        COMPARE_MSG(edited([](auto& h) { h["model"] = "vae"; }),
                    p + ": checkpoint field 'model': unknown model 'vae' (known: mult-vae, "
                        "mult-dae, vamp, hvamp, hvamp-gated, bivae, recvae, ease, itemknn, "
                        "popularity)");
        COMPARE_MSG(edited([](auto& h) { h["config"]["latent_dim"] = 0; }),
                 p + ": checkpoint field 'config': " +
                     errorOf([] { createModel("mult-vae", {{"latent_dim", 0}}); }));
    }

    // Checkpoints: the state's step counters (24-bit parts in float, which the models cast back
    // to integers unchecked and which size Adam's table of per-step constants), finite tensors,
    // and a state as large as the model its counts and config describe.
    // regressions/checkpoint/state-*, declared-*.
    // The models read their counters back with joinCounter24: a model file (which reaches
    // setState with whatever tensors it holds) cannot turn 1e30 or NaN into an integer.
    void modelStateCountersAreChecked() {
        TempDir dir;
        const auto stateOf = [&](const std::string& id) {
            const Checkpoint c = loadCheckpointFile(tinyCheckpoint(dir / (id + ".ckpt"), id));
            return std::pair{c, c.modelState};
        };
        const auto setStateError = [](const Checkpoint& c, const TensorMap& state) {
            auto m = createModel(c.modelId, c.config);
            m->initialize(vaecf::fuzz::checkpointSplit().train, 1);
            return errorOf([&] { m->setState(state); });
        };
        const std::string parts = " must hold whole numbers from 0 to 16777215 (24-bit parts of a "
                                  "counter), got ";
        for (const char* id : {"mult-vae", "vamp", "hvamp", "recvae"}) {
            auto [c, state] = stateOf(id);
            QCOMPARE(QString::fromStdString(setStateError(c, state)), QStringLiteral("no error"));
            state["updates"].data[0] = 1e30f;
            COMPARE_MSG(setStateError(c, state), "model state tensor 'updates'" + parts + "1.00000002e+30");
            state["updates"].data[0] = std::nanf("");
            COMPARE_MSG(setStateError(c, state), "model state tensor 'updates'" + parts + "nan");
        }
        {
            auto [c, state] = stateOf("mult-dae");
            state["enc0.W.step"].data[1] = -1;
            COMPARE_MSG(setStateError(c, state), "model state tensor 'enc0.W.step'" + parts + "-1");
        }
        {
            auto [c, state] = stateOf("recvae");
            state["adam_steps"].data[3] = 0.5f;
            COMPARE_MSG(setStateError(c, state), "model state tensor 'adam_steps'" + parts + "0.5");
        }
        {
            auto [c, state] = stateOf("bivae");
            state["steps"].data[2] = -3;
            COMPARE_MSG(setStateError(c, state), "model state tensor 'steps'" + parts + "-3");
            // A seed beyond 2^63 (half of all seeds) round-trips; one beyond 2^64 is refused.
            state["steps"] = c.modelState.at("steps");
            state["seed"].data = {65535, 16777215, 16777215};
            auto m = createModel(c.modelId, c.config);
            m->initialize(vaecf::fuzz::checkpointSplit().train, 1);
            m->setState(state);
            QCOMPARE(m->state().at("seed").data, (std::vector<float>{65535, 16777215, 16777215}));
            state["seed"].data = {65536, 0, 0};
            COMPARE_MSG(setStateError(c, state), "model state tensor 'seed' holds a counter beyond 64 bits");
        }
    }

    void checkpointStateIsChecked() {
        TempDir dir;
        const auto edited = [&](const std::string& id, const std::function<void(TensorMap&)>& edit,
                                int epochs = 1) {
            const auto p = tinyCheckpoint(dir / "x.ckpt", id, epochs);
            editCheckpoint(p, [&](nlohmann::json&, TensorMap& t) { edit(t); });
            return checkpointError(p);
        };
        const std::string p = (dir / "x.ckpt").string();
        const std::string parts = " must hold whole numbers from 0 to 16777215 (24-bit parts of a "
                                  "counter), got ";
        COMPARE_MSG(edited("mult-vae", [](auto& t) { t["state/updates"].data = {1e30f, 0}; }),
                 p + ": the checkpoint's state tensor 'updates'" + parts + "1.00000002e+30");
        COMPARE_MSG(edited("mult-vae", [](auto& t) { t["state/enc0.W.step"].data[3] = -1; }),
                 p + ": the checkpoint's state tensor 'enc0.W.step'" + parts + "-1");
        COMPARE_MSG(edited("recvae", [](auto& t) { t["state/adam_steps"].data[1] = 0.5f; }),
                 p + ": the checkpoint's state tensor 'adam_steps'" + parts + "0.5");
        COMPARE_MSG(edited("bivae", [](auto& t) { t["state/seed"].data[0] = 16777216.0f; }),
                 p + ": the checkpoint's state tensor 'seed'" + parts + "16777216");
        COMPARE_MSG(edited("mult-vae", [](auto& t) { t["state/updates"].data = {1, 0}; }),
                 p + ": the checkpoint's state tensor 'updates' counts 16777216 steps, more than "
                     "the 2 optimizer updates of the history");
        COMPARE_MSG(edited("vamp", [](auto& t) { t["state/updates"].data = {0, 1}; }),
                 p + ": the checkpoint's state tensor 'updates' counts 1 steps, but the history "
                     "ends after 2 optimizer updates");
        COMPARE_MSG(edited("mult-dae", [](auto& t) { t["state/enc0.W.step"].data[1] = 3; }),
                 p + ": the checkpoint's state tensor 'enc0.W.step' counts 3 steps, more than "
                     "the 2 optimizer updates of the history");
        // BiVAE: one step a batch on the user or the item side, 2 + 3 batches an epoch.
        COMPARE_MSG(edited("bivae", [](auto& t) { t["state/steps"].data = {0, 2, 0, 2}; }),
                 p + ": the checkpoint's state tensor 'steps' counts 4 steps, but the history ends "
                     "after 5 optimizer updates");
        COMPARE_MSG(edited("mult-vae", [](auto& t) { t["state/enc0.W"].data[0] = NAN; }),
                 p + ": the checkpoint's tensor 'state/enc0.W' holds a non-finite value (nan)");
        COMPARE_MSG(edited("hvamp", [](auto& t) { t["state/pseudo.v"].data[0] = -INFINITY; }),
                 p + ": the checkpoint's tensor 'state/pseudo.v' holds a non-finite value (-inf)");

        // The counts and the config must describe a model the state can back.
        auto q = tinyCheckpoint(dir / "y.ckpt", "mult-vae");
        std::uint64_t held = 0;
        for (const auto& [name, t] : loadCheckpointFile(q).modelState) held += t.data.size();
        const std::string holds = " but its state holds " + std::to_string(held) + " values";
        editCheckpoint(q, [](nlohmann::json& h, TensorMap&) { h["items"] = 100000; });
        COMPARE_MSG(checkpointError(q), q.string() + ": the checkpoint declares 100000 items" + holds +
                                         " (expected at least one value per item)");
        q = tinyCheckpoint(dir / "y.ckpt", "mult-vae");
        editCheckpoint(q, [](nlohmann::json& h, TensorMap&) { h["users"] = 1 << 30; });
        COMPARE_MSG(checkpointError(q), q.string() + ": the checkpoint declares 1073741824 users" +
                                         holds + " (expected at most 16 users per value, or 2^24)");
        q = tinyCheckpoint(dir / "y.ckpt", "mult-vae");
        editCheckpoint(q, [](nlohmann::json& h, TensorMap&) {
            h["config"]["hidden_dims"] = {8192, 8192};
        });
        COMPARE_MSG(checkpointError(q), q.string() + ": the checkpoint's item count, user count and "
                                                  "config describe a model of about 2.2 GB" +
                                         holds + " (expected the state of such a model)");
    }

    // Resuming: a checkpoint on a split with another item count, tensors that are not the
    // model's (a forged fingerprint and item count, a prior of side features, a moment among
    // the best parameters, a tensor missing) end in Error before the model takes any of them.
    void checkpointResumeChecksSplitAndTensors() {
        TempDir dir;
        const auto p = tinyCheckpoint(dir / "x.ckpt", "mult-vae");
        const std::string ps = p.string();
        // The same users with a sixth item nobody has.
        Split six = vaecf::fuzz::checkpointSplit();
        for (CsrMatrix* m : {&six.train, &six.validation.foldIn, &six.validation.heldOut,
                             &six.test.foldIn, &six.test.heldOut})
            m->cols = 6;
        six.itemIds.push_back("60");
        const std::string fp = vaecf::fuzz::checkpointSplit().fingerprintHex();
        COMPARE_MSG(resumeError(p, six),
                 ps + ": the checkpoint was written for another split (split_fingerprint " + fp +
                     ", this split " + six.fingerprintHex() + "; the checkpoint's model has 5 "
                     "items and 4 training users, this split 6 and 4): resume with the same data "
                     "and split options");
        // A forged checkpoint that claims that split: its tensors are for 5 items.
        editCheckpoint(p, [&](nlohmann::json& h, TensorMap&) {
            h["items"] = 6;
            h["split_fingerprint"] = six.fingerprintHex();
        });
        COMPARE_MSG(resumeError(p, six),
                 ps + ": the checkpoint's state: tensor 'dec1.W' is 3 x 5, this mult-vae model's "
                      "3 x 6");
        COMPARE_MSG(resumeError(p), ps + ": the checkpoint was written for another split "
                                      "(split_fingerprint " + six.fingerprintHex() + ", this split " +
                                      fp + "; the checkpoint's model has 6 items and 4 training "
                                      "users, this split 5 and 4): resume with the same data and "
                                      "split options");

        const auto b = tinyCheckpoint(dir / "b.ckpt", "bivae");
        editCheckpoint(b, [](nlohmann::json&, TensorMap& t) {
            t["state/user.prior.W"] = Tensor{4096, 1, std::vector<float>(4096)};
        });
        COMPARE_MSG(resumeError(b), b.string() + ": the checkpoint's state: tensor 'user.prior.W' is "
                                              "not one of this bivae model's (the run had side "
                                              "features: give the same ones to resume it)");
        const auto m = tinyCheckpoint(dir / "m.ckpt", "mult-vae");
        editCheckpoint(m, [](nlohmann::json& h, TensorMap&) {
            h["trainer"]["best_tensors"].push_back("enc0.W.m");
        });
        COMPARE_MSG(resumeError(m), m.string() + ": the checkpoint's best parameters: tensor "
                                              "'enc0.W.m' is not one of this mult-vae model's");
        const auto d = tinyCheckpoint(dir / "d.ckpt", "mult-dae");
        editCheckpoint(d, [](nlohmann::json&, TensorMap& t) { t.erase("state/dec0.b.m"); });
        COMPARE_MSG(resumeError(d), d.string() + ": the checkpoint's state: tensor 'dec0.b.m' of "
                                              "this mult-dae model is missing");
        // Untouched, every iterative model resumes and runs to its end.
        for (const char* id : {"mult-vae", "mult-dae", "vamp", "hvamp", "hvamp-gated", "bivae",
                               "recvae"})
            COMPARE_MSG(resumeError(tinyCheckpoint(dir / "ok.ckpt", id)), std::string("no error"));
    }
};

QTEST_GUILESS_MAIN(FuzzRegressionsTest)
#include "fuzz_regressions_test.moc"
