// SPDX-License-Identifier: MIT
// What fuzzing readProject() found (tests/fuzz/regressions/project/), with the exact message
// each input now gets: JSON numbers too large for a double and numbers that do not fit the
// integer field they fill (a float-to-int cast out of range was undefined behaviour).
#include <QtTest/QtTest>

#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

#include "demo_data.h"
#include "session/project_io.h"
#include "test_util.h"
#include "vaecf/error.h"
#include "vaecf/model.h"

using namespace vaecf;
using namespace vaecf::ui;

using vaecf::test::errorOf;

namespace {

// A valid project.json with one model-less run, `edit` applied.
std::string projectJson(const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json run = {
        {"id", 1}, {"name", "Run 1"}, {"model", "popularity"}, {"config", nlohmann::json::object()},
        {"options", {{"epochs", 2}, {"seed", 98765}}}, {"state", "finished"},
        {"batches", {{"update", {1}}, {"epoch", {1}}, {"x", {1.0}}, {"seconds", {0.1}},
                     {"loss", {3.0}}, {"recon", {2.9}}, {"kl", {0.1}}, {"beta", {0.0}},
                     {"penalty", {0.0}}}},
        {"epochs", nlohmann::json::array()}};
    nlohmann::json j = {{"format", "vaecf-studio-project"}, {"version", 1},
                        {"data", {{"kind", "demo"}, {"demo", {{"users", 300}}}}},
                        {"runs", {run}}, {"overlaid", {1}}, {"current_run", 1}};
    edit(j);
    return j.dump();
}

}  // namespace

class ProjectIoFuzzTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // A diverged run's NaN loss is saved as null (JSON has no NaN) and reopens as NaN; a
    // string in a number column is refused naming the column.
    void nanLossesRoundTrip() {
        auto run = runFromJson(nlohmann::json::parse(projectJson([](auto&) {}))["runs"][0]);
        run->batches[0].terms.loss = std::numeric_limits<double>::quiet_NaN();
        const nlohmann::json j = nlohmann::json::parse(runToJson(*run).dump());  // as on disk
        QVERIFY(j["batches"]["loss"][0].is_null());
        const auto back = runFromJson(j);
        QVERIFY(std::isnan(back->batches[0].terms.loss));
        QCOMPARE(back->batches[0].terms.recon, 2.9);
        nlohmann::json bad = j;
        bad["batches"]["kl"][0] = "x";
        QCOMPARE(errorOf([&] { runFromJson(bad); }),
                 std::string("run batches: column 'kl' holds string, expected a number"));
    }

    // Metrics of an evaluation that scored no user are NaN (metrics.cpp), and so is a
    // diverged epoch's training loss: saved as null, they reopen as NaN. The reader used to
    // refuse them ("type must be number, but is null"), so such a project could not be
    // opened again once saved.
    void nanMetricsRoundTrip() {
        auto run = runFromJson(nlohmann::json::parse(projectJson([](auto&) {}))["runs"][0]);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        EpochPoint e;
        e.report.epoch = 1;
        e.report.train.loss = nan;
        e.report.train.recon = 2.5;
        e.report.validated = true;
        e.report.validation.mean = {{"ndcg@100", nan}, {"coverage@100", 0.25}};
        e.report.validation.stdError = {{"ndcg@100", 0.0}};
        run->epochs.push_back(e);
        run->test = e.report.validation;
        const nlohmann::json j = nlohmann::json::parse(runToJson(*run).dump());  // as on disk
        QVERIFY(j["test"]["mean"]["ndcg@100"].is_null());
        const auto back = runFromJson(j);
        QVERIFY(std::isnan(back->epochs.at(0).report.train.loss));
        QCOMPARE(back->epochs.at(0).report.train.recon, 2.5);
        QVERIFY(std::isnan(back->epochs.at(0).report.validation.mean.at("ndcg@100")));
        QCOMPARE(back->epochs.at(0).report.validation.mean.at("coverage@100"), 0.25);
        QVERIFY(std::isnan(back->test->mean.at("ndcg@100")));
        QCOMPARE(back->test->stdError.at("ndcg@100"), 0.0);
        // Anything else than a number or null is refused, naming the field.
        nlohmann::json bad = j;
        bad["test"]["mean"]["ndcg@100"] = "high";
        QCOMPARE(errorOf([&] { runFromJson(bad); }),
                 std::string("run report: 'mean' of 'ndcg@100' holds string, expected a number"));
        bad = j;
        bad["test"]["std_error"] = 3;
        QCOMPARE(errorOf([&] { runFromJson(bad); }),
                 std::string("run report: 'std_error' holds number, expected an object"));
        bad = j;
        bad["epochs"][0]["train"]["kl"] = true;
        QCOMPARE(errorOf([&] { runFromJson(bad); }),
                 std::string("run epochs: 'train' field 'kl' holds boolean, expected a number"));
    }

    // The data file's delimiter is one byte, the first of the saved string. For "é" that was
    // 0xC3, half a UTF-8 character: the project opened, but saving it again threw
    // nlohmann's type_error 316 ("incomplete UTF-8 string") instead of writing project.json
    // (found by fuzz_project's round trip of the data source). A non-ASCII delimiter is
    // refused on reading; an ASCII one, "::" included, still reads and saves.
    void nonAsciiDelimiterIsRefused() {
        test::TempDir dir;
        const QString folder = QString::fromStdString(dir.path().string());
        test::writeFile(dir / "project.json", projectJson([](auto& j) {
            j["data"]["read"] = {{"delimiter", "\u00e9"}};
        }));
        QCOMPARE(errorOf([&] { readProject(folder); }),
                 (dir / "project.json").string() +
                     ": data source field 'read.delimiter' must be an ASCII character, got '\u00e9'");
        for (const char* d : {";", "::", "\t", ""}) {
            test::writeFile(dir / "project.json", projectJson([&](auto& j) {
                j["data"]["read"] = {{"delimiter", d}};
            }));
            const ProjectFile p = readProject(folder);
            QCOMPARE(p.source.read.delimiter, *d);
            const std::string saved = p.source.toJson().dump();
            QCOMPARE(DataSource::fromJson(nlohmann::json::parse(saved)).toJson().dump(), saved);
        }
    }

    // Column numbers no line can have, or the user and item in one column, used to be
    // refused only when the data was read, by a message that named neither project.json nor
    // the field ("the user column -2 is out of range").
    void badColumnsAreRefusedNamingTheField() {
        test::TempDir dir;
        const QString folder = QString::fromStdString(dir.path().string());
        const std::string where = (dir / "project.json").string() + ": ";
        const std::pair<nlohmann::json, std::string> cases[] = {
            {{{"user_column", -2}}, "data source field 'read.user_column' must be from 0 to 31, got -2"},
            {{{"item_column", 32}}, "data source field 'read.item_column' must be from 0 to 31, got 32"},
            {{{"rating_column", -2}},
             "data source field 'read.rating_column' must be from -1 to 31, got -2"},
            {{{"time_column", 40}}, "data source field 'read.time_column' must be from -1 to 31, got 40"},
            {{{"user_column", 3}, {"item_column", 3}},
             "data source fields 'read.user_column' and 'read.item_column' must differ, both are 3"},
        };
        for (const auto& [read, message] : cases) {
            test::writeFile(dir / "project.json",
                            projectJson([&](auto& j) { j["data"]["read"] = read; }));
            QCOMPARE(errorOf([&] { readProject(folder); }), where + message);
        }
        // The edges of the ranges are accepted.
        test::writeFile(dir / "project.json", projectJson([](auto& j) {
            j["data"]["read"] = {{"user_column", 31}, {"item_column", 0}, {"rating_column", -1},
                                 {"time_column", 31}};
        }));
        const ProjectFile p = readProject(folder);
        QCOMPARE(p.source.read.userColumn, 31);
        QCOMPARE(p.source.read.ratingColumn, -1);
    }

    void numbersThatFitNoFieldAreRefused() {
        test::TempDir dir;
        const QString folder = QString::fromStdString(dir.path().string());
        const std::string file = (dir / "project.json").string();
        const auto check = [&](const std::string& json, const std::string& message) {
            test::writeFile(dir / "project.json", json);
            QCOMPARE(errorOf([&] { readProject(folder); }), file + ": " + message);
        };
        check(projectJson([](auto&) {}).replace(0, 1, "{\"big\": 1e400, "),
              "not valid JSON: [json.exception.out_of_range.406] number overflow parsing '1e400'");
        check(projectJson([](auto& j) { j["version"] = 1e300; }),
              "field 'version' must be a whole number from -9223372036854775808 to "
              "9223372036854775807, got 1e+300");
        check(projectJson([](auto& j) { j["runs"][0]["id"] = 1e10; }),
              "run field 'id' must be a whole number from -2147483648 to 2147483647, got "
              "10000000000.0");
        check(projectJson([](auto& j) { j["runs"][0]["batches"]["epoch"][0] = -1e300; }),
              "run batches 'epoch' must be a whole number from -2147483648 to 2147483647, got "
              "-1e+300");
        check(projectJson([](auto& j) { j["data"]["demo"]["users"] = 1e300; }),
              "data source field 'users' must be a whole number from -9223372036854775808 to "
              "9223372036854775807, got 1e+300");
        check(projectJson([](auto& j) { j["overlaid"] = {1e300}; }),
              "field 'overlaid' must be a whole number from -2147483648 to 2147483647, got "
              "1e+300");
        check(projectJson([](auto& j) { j["overlaid"] = 1; }),
              "field 'overlaid' must be a list of run ids");
        check("[1, 2]", "not a VAE-CF Studio project (expected an object with \"format\": "
                        "\"vaecf-studio-project\")");
        check(projectJson([](auto& j) { j["format"] = 7; }),
              "not a VAE-CF Studio project (expected an object with \"format\": "
              "\"vaecf-studio-project\")");
        // The unedited file reads.
        test::writeFile(dir / "project.json", projectJson([](auto&) {}));
        const ProjectFile p = readProject(folder);
        QCOMPARE(p.runs.size(), std::size_t{1});
        QCOMPARE(p.overlaid, std::vector<int>{1});
    }

    // A project file may pair a run's model with a split it was not trained on: a run saved
    // without a fingerprint takes the data's when the project opens. Its model (3 items here,
    // the data 120) neither counts as this data's (its scores are not read as these items)
    // nor breaks saving: the saved model file lists no item ids or titles, and the project
    // reopens (the data's 120 titles were written for 3 items, and the file could not be read).
    void aModelOfOtherItemsSavesAndReopens() {
        test::TempDir dir;
        const QString folder = QString::fromStdString((dir / "proj").string());
        Project project;
        project.setData(test::smallDemoData());
        core::CsrMatrix train;
        train.rows = 2;
        train.cols = 3;
        train.indptr = {0, 2, 3};
        train.indices = {0, 2, 1};
        train.values = {1, 1, 1};
        auto model = core::createModel("popularity");
        model->initialize(train, 1);
        model->trainEpoch(train, 1, {}, {});
        auto run = std::make_shared<Run>();
        run->modelId = "popularity";
        run->bestModel = std::move(model);
        const Run* added = project.addRun(run);
        QCOMPARE(added->fingerprint, project.data()->split.fingerprintHex());
        QVERIFY(!project.runMatchesData(*added));
        saveProject(project, folder);
        ProjectFile back = readProject(folder);
        QCOMPARE(back.runs.size(), std::size_t{1});
        QCOMPARE(back.runs[0]->bestModel->numItems(), std::int64_t{3});
        Project reopened;
        applyProject(reopened, project.data(), std::move(back));
        QVERIFY(!reopened.runMatchesData(*reopened.runs().front()));
    }

    // A data file kept in the project folder under a name saving writes is refused before
    // anything is written, and keeps its bytes.
    void savingNeverOverwritesTheDataFile() {
        test::TempDir dir;
        std::ostringstream csv;
        csv << "user,item,rating\n";
        for (int u = 0; u < 40; ++u)
            for (int k = 0; k < 12; ++k) csv << "u" << u << ",i" << (u + 7 * k) % 30 << ",5\n";
        const auto dataFile = dir / "project.json";
        test::writeFile(dataFile, csv.str());
        DataSource source;
        source.kind = DataSource::Kind::File;
        source.path = QString::fromStdString(dataFile.string());
        Project project;
        project.setData(buildDataState(source));
        COMPARE_MSG(errorOf([&] { saveProject(project, QString::fromStdString(dir.path().string())); }),
                    dataFile.string() + ": cannot save the project here: this file is the project's data "
                                        "file, and saving would overwrite it");
        QCOMPARE(test::readFile(dataFile), csv.str());
        // Elsewhere it saves, with the data named by its path.
        const QString other = QString::fromStdString((dir / "elsewhere").string());
        saveProject(project, other);
        QCOMPARE(readProject(other).source.path, source.path);
    }

    // Finding 37: an id that is only U+FEFF, or starts with it, shows as itself. Qt's
    // fromStdString drops a leading U+FEFF as a byte-order mark, so such an item showed with
    // an empty title, and a user so named showed, and was searched for, under another id.
    void idsStartingWithAByteOrderMarkShowAsThemselves() {
        const std::string bom = "\xEF\xBB\xBF";
        QVERIFY(QString::fromStdString(bom).isEmpty());  // why dataText exists
        test::TempDir dir;
        std::ostringstream csv;
        csv << "user,item,rating\n";
        for (int u = 0; u < 40; ++u) {
            const std::string user = (u == 3 ? bom : "") + "u" + std::to_string(u);
            for (int k = 0; k < 12; ++k) csv << user << ",i" << (u + 7 * k) % 30 << ",5\n";
            csv << user << "," << bom << ",5\n";
        }
        const auto dataFile = dir / "data.csv";
        test::writeFile(dataFile, csv.str());
        DataSource source;
        source.kind = DataSource::Kind::File;
        source.path = QString::fromStdString(dataFile.string());
        const auto state = buildDataState(source);
        const auto& ids = state->split.itemIds;
        const auto it = std::find(ids.begin(), ids.end(), bom);
        QVERIFY(it != ids.end());
        const auto column = static_cast<std::int32_t>(it - ids.begin());
        QCOMPARE(state->itemTitle(column), QString(QChar(0xFEFF)));
        QCOMPARE(state->itemTitle(column).toStdString(), bom);

        const std::string user = bom + "u3";
        const auto found = state->findUser(user);
        QVERIFY(found.has_value());
        QCOMPARE(dataText(user), QString(QChar(0xFEFF)) + QStringLiteral("u3"));
        QCOMPARE(state->findUser(dataText(user).toStdString()), found);
        QVERIFY(!state->findUser("u3").has_value());
        // Everything else as fromStdString: invalid UTF-8 becomes U+FFFD, other text as is.
        QCOMPARE(dataText("caf\xE9"), QStringLiteral("caf") + QChar(0xFFFD));
        QCOMPARE(dataText("x" + bom), QStringLiteral("x") + QChar(0xFEFF));
        QCOMPARE(dataText(bom + bom), QString(2, QChar(0xFEFF)));
        QVERIFY(dataText("").isEmpty());
    }
};

QTEST_GUILESS_MAIN(ProjectIoFuzzTest)
#include "project_io_fuzz_test.moc"
