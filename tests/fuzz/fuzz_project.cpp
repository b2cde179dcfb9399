// SPDX-License-Identifier: MIT
// readProject() (ui/session/project_io.h) on project folders, then what opening a project in
// the app does with it (ui/main_window.cpp openProject). Input: 1 control byte, then
// project.json, then model files models/run-1.vaecf, models/run-2.vaecf, ... separated by
// "\n%%\n".
//   byte 0: bit 0 keeps the model files' own CRC; otherwise the harness rewrites it so that
//           mutations reach the model parser.
//           bit 1 rebuilds the project's data (buildDataState) when it is small: demo data of at
//           most 2,000 users, 500 items, 64 clusters and 50,000 interactions (users x mean
//           activity), or a data file or split folder inside the project folder (a
//           "relative_path" such as "models/run-2.vaecf", whose bytes bit 0 keeps); nothing
//           else is read. The split must be well formed and agree with the data it came from.
//           bit 2 puts the project into a Project (applyProject, as the app does once the data
//           is rebuilt: not when that failed, with no data when bit 1 did not rebuild it) and
//           checks the runs, overlay and current run it gets; then the data source and every run are saved as JSON text and read
//           back (toJson and fromJson, runToJson and runFromJson): the same JSON again.
//           bit 3, with bits 1 and 2 and the data rebuilt, saves the opened project
//           (saveProject, as the app's Save does) into its own folder, or with bit 4 into a new
//           one, and reads it back: it saves (or refuses because a file it writes is the data
//           file, which keeps its bytes), and reads back with the same data source, split
//           fingerprint, runs (JSON and models), overlay and current run.
//           bit 5, with bit 2: the Project is not fresh but holds what an earlier project left
//           (the window keeps one): data, two runs, an overlay, a current run and a selected
//           user. Applying must give the same as on a fresh one, with no user selected.
#include <QString>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unordered_set>

#include "fuzz_util.h"
#include "session/project.h"
#include "session/project_io.h"
#include "vaecf/error.h"

using namespace vaecf;
namespace fs = std::filesystem;

namespace {

// The data a project names is read only from inside its folder: project.json may name any
// path ("path", or "relative_path" with "../.." or an absolute path), and the fuzzer must
// never make the harness read the machine's files. Readers look at most at the folder of a
// plain file, which then is the project folder or one below it.
bool insideFolder(const QString& path, const fs::path& folder) {
    const std::string s = path.toStdString();
    if (s.empty() || s.find('\0') != std::string::npos) return false;  // the OS would cut it there
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::path(s), ec);
    if (ec) return false;
    const fs::path root = fs::weakly_canonical(folder, ec);
    if (ec) return false;
    return std::mismatch(root.begin(), root.end(), p.begin(), p.end()).first == root.end();
}

// Small enough to rebuild for every input (the generator's own bounds are far larger).
bool smallData(const ui::DataSource& s, const fs::path& folder) {
    if (s.kind != ui::DataSource::Kind::Demo) return insideFolder(s.path, folder);
    const auto& d = s.demo;
    // Out-of-range settings go through: makeDemoDataset must refuse them (NaN compares false).
    return d.users <= 2000 && d.items <= 500 && d.clusters <= 64 &&
           !(static_cast<double>(d.users) * d.meanActivity > 50000);
}

// What buildDataState() promises of the state it returns.
void checkData(const ui::DataState& st, const ui::DataSource& source) {
    using Kind = ui::DataSource::Kind;
    const core::Split& s = st.split;
    const auto items = static_cast<std::int64_t>(s.itemIds.size());
    fuzz::checkSplit(s);
    fuzz::check(s.items.empty() || s.items.size() == s.itemIds.size(),
                "split metadata: none or one per item");
    for (const auto& m : s.items)
        for (auto g : m.genres)
            fuzz::check(g >= 0 && static_cast<std::size_t>(g) < s.genreNames.size(),
                        "split genre index in range");
    for (ui::Part part : {ui::Part::Train, ui::Part::Validation, ui::Part::Test}) {
        fuzz::check(st.numUsers(part) == static_cast<std::int64_t>(st.userIds(part).size()),
                    "numUsers(part)");
        fuzz::check((st.heldOut(part) == nullptr) == (part == ui::Part::Train),
                    "held-out items for the held-out parts only");
    }
    // Training interactions per item column.
    fuzz::check(st.itemPopularity.size() == static_cast<std::size_t>(items),
                "one popularity count per item");
    std::vector<std::int64_t> pop(static_cast<std::size_t>(items), 0);
    for (auto c : s.train.indices) ++pop[static_cast<std::size_t>(c)];
    fuzz::check(pop == st.itemPopularity, "popularity counts the training interactions");
    (void)st.title();
    for (std::int32_t c = 0; c < std::min<std::int32_t>(static_cast<std::int32_t>(items), 4); ++c) {
        fuzz::check(!st.itemTitle(c).isEmpty() || s.itemIds[static_cast<std::size_t>(c)].empty(),
                    "an item's title, or its id");
        (void)st.itemGenres(c);
    }
    fuzz::check(st.source.kind == source.kind && st.source.path == source.path,
                "the state keeps its source");

    if (source.kind == Kind::LiangFolder) {
        fuzz::check(st.raw == nullptr && st.dataset.numUsers() == 0, "a split folder has no dataset");
        fuzz::check(st.trainCluster.empty() && st.validationCluster.empty() && st.testCluster.empty(),
                    "clusters for demo data only");
        return;
    }
    fuzz::check(st.raw != nullptr, "the data as read");
    // One row per user and one column per item (the dataset's ids are distinct): the app
    // finds users and items by id.
    std::unordered_set<std::string> ids(s.itemIds.begin(), s.itemIds.end());
    fuzz::check(ids.size() == s.itemIds.size(), "item ids are distinct");
    ids.clear();
    std::size_t users = 0;
    for (ui::Part part : {ui::Part::Train, ui::Part::Validation, ui::Part::Test}) {
        const auto& u = st.userIds(part);
        ids.insert(u.begin(), u.end());
        users += u.size();
        if (!u.empty()) {
            const auto found = st.findUser(u.front());
            fuzz::check(found && *found == (ui::UserRef{part, 0}), "findUser finds a part's first user");
        }
    }
    fuzz::check(ids.size() == users, "user ids are distinct across the parts");
    const core::Dataset& raw = *st.raw;
    fuzz::checkDataset(raw, source.kind == Kind::File);  // files are read in file order
    if (source.kind == Kind::File) fuzz::checkReport(raw, source.read.skipBadLines);
    fuzz::check(st.readReport.records == raw.readReport.records &&
                    st.readReport.skippedLines == raw.readReport.skippedLines &&
                    st.readReport.duplicates == raw.readReport.duplicates,
                "the state's read report is the data's");
    // Preprocessing: its report and the preprocessed dataset agree.
    const core::Dataset& d = st.dataset;
    fuzz::checkCsr(d.interactions, "preprocessed interactions");
    fuzz::check(d.userIds.size() == static_cast<std::size_t>(d.numUsers()) &&
                    d.itemIds.size() == static_cast<std::size_t>(d.numItems()),
                "preprocessed: one id per user and item");
    fuzz::check(d.fileOrder.users.empty() && d.fileOrder.items.empty(),
                "the file order is dropped once split");
    const core::PreprocessReport& r = st.report;
    fuzz::check(r.usersIn == raw.numUsers() && r.itemsIn == raw.numItems() &&
                    r.interactionsIn == raw.numInteractions(),
                "preprocess report: what went in");
    fuzz::check(r.usersOut == d.numUsers() && r.itemsOut == d.numItems() &&
                    r.interactionsOut == d.numInteractions(),
                "preprocess report: what came out");
    fuzz::check(r.usersDropped == r.usersIn - r.usersOut && r.itemsDropped == r.itemsIn - r.itemsOut,
                "preprocess report: dropped = in - out");
    for (std::int64_t u = 0; u < d.numUsers(); ++u)
        fuzz::check(d.interactions.rowNnz(u) > 0, "preprocessing keeps users with interactions only");
    // The split: every preprocessed user in one part, validation and test the same size, items
    // and interactions a subset (held-out users' items unseen in training are left out).
    fuzz::check(s.train.rows + s.validation.foldIn.rows + s.test.foldIn.rows == d.numUsers(),
                "every user in one part of the split");
    fuzz::check(s.validation.foldIn.rows == s.test.foldIn.rows && s.test.foldIn.rows > 0 &&
                    s.train.rows > 0,
                "validation and test hold as many users, training some");
    fuzz::check(items <= d.numItems() && fuzz::splitNnz(s) <= d.numInteractions(),
                "the split's items and interactions come from the data");
    if (source.kind == Kind::Demo) {
        fuzz::check(st.clusterNames.size() == static_cast<std::size_t>(source.demo.clusters),
                    "a name per demo cluster");
        for (ui::Part part : {ui::Part::Train, ui::Part::Validation, ui::Part::Test}) {
            const auto& c = st.clusters(part);
            fuzz::check(c.size() == static_cast<std::size_t>(st.numUsers(part)),
                        "a demo cluster per user");
            for (auto k : c)
                fuzz::check(k >= 0 && static_cast<std::size_t>(k) < st.clusterNames.size(),
                            "demo clusters in range");
        }
    } else {
        fuzz::check(st.trainCluster.empty() && st.validationCluster.empty() && st.testCluster.empty(),
                    "clusters for demo data only");
    }
}

// What applyProject() is to give, worked out from the file before it renumbers the runs: ids
// 1..n in file order, the overlay and the current run mapped from the saved ids (the last run
// with an id wins, as in applyProject), the last run current when the saved one is unknown,
// and the data's fingerprint for runs that have none.
struct Applied {
    std::vector<int> overlaid;
    int current = -1;
    std::vector<std::string> fingerprints;
};

Applied expectApplied(const ui::ProjectFile& p, const std::shared_ptr<const ui::DataState>& data) {
    Applied a;
    std::map<int, int> newIds;
    for (std::size_t k = 0; k < p.runs.size(); ++k) {
        newIds[p.runs[k]->id] = static_cast<int>(k) + 1;
        const std::string& f = p.runs[k]->fingerprint;
        a.fingerprints.push_back(f.empty() && data ? data->split.fingerprintHex() : f);
    }
    for (int id : p.overlaid)
        if (newIds.count(id)) a.overlaid.push_back(newIds[id]);
    if (newIds.count(p.currentRun)) a.current = newIds[p.currentRun];
    else if (!p.runs.empty()) a.current = static_cast<int>(p.runs.size());
    return a;
}

void checkApplied(const ui::Project& project, const ui::ProjectFile& p,
                  const std::shared_ptr<const ui::DataState>& data, const Applied& want) {
    fuzz::check(project.data() == data, "the project holds the rebuilt data");
    const auto& runs = project.runs();
    fuzz::check(runs.size() == p.runs.size(), "every run applied");
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const ui::Run& r = *runs[k];
        fuzz::check(runs[k] == p.runs[k], "runs in file order");
        fuzz::check(r.id == static_cast<int>(k) + 1 && project.run(r.id) == &r, "runs numbered 1..n");
        fuzz::check(!r.name.isEmpty() && r.colour.isValid() && r.created.isValid(),
                    "applied runs are named, coloured and dated");
        fuzz::check(r.fingerprint == want.fingerprints[k], "a run without a fingerprint gets the data's");
        const auto model = r.inspectModel();
        fuzz::check(project.runMatchesData(r) ==
                        (data && r.fingerprint == data->split.fingerprintHex() &&
                         (!model || model->numItems() == data->split.numItems())),
                    "runMatchesData compares the fingerprints and the item counts");
    }
    fuzz::check(project.overlaidRuns() == want.overlaid, "overlaid runs follow the saved ids");
    fuzz::check(project.currentRunId() == want.current, "the current run follows the saved id");
}

// The data source as saveProject() writes it reads back the same: its JSON written, parsed,
// read and written again is the same text.
void checkSourceRoundTrip(const ui::DataSource& source) {
    const std::string text = source.toJson().dump();
    ui::DataSource back;
    try {
        back = ui::DataSource::fromJson(nlohmann::json::parse(text));
    } catch (const core::Error& e) {
        fuzz::broken(std::string("a saved data source does not read back: ") + e.what() + "\n" + text);
    }
    const std::string again = back.toJson().dump();
    if (again != text) fuzz::broken("data source JSON round trip differs:\n" + text + "\n" + again);
}

// A run saved into project.json reads back as the same run: its JSON written, parsed (NaN
// become null and back), read and written again is the same text.
void checkRoundTrip(const ui::Run& run) {
    const std::string text = ui::runToJson(run).dump();
    std::shared_ptr<ui::Run> back;
    try {
        back = ui::runFromJson(nlohmann::json::parse(text));
    } catch (const core::Error& e) {
        fuzz::broken(std::string("a saved run does not read back: ") + e.what() + "\n" + text);
    }
    const std::string again = ui::runToJson(*back).dump();
    if (again != text) fuzz::broken("run JSON round trip differs:\n" + text + "\n" + again);
}

std::string fileBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The source with its path made canonical: a data file inside the folder is saved as a path
// relative to it and read back joined to the folder, which may spell it differently.
std::string sourceText(ui::DataSource s) {
    if (s.kind != ui::DataSource::Kind::Demo) {
        std::error_code ec;
        const fs::path p = fs::weakly_canonical(fs::path(s.path.toStdString()), ec);
        if (!ec) s.path = QString::fromStdString(p.string());
    }
    return s.toJson().dump();
}

// saveProject() and readProject() again: an opened project saves, and reads back as it was.
void checkSaved(const ui::Project& project, const fs::path& folder) {
    const auto data = project.data();
    const fs::path dataFile = data->source.path.toStdString();
    const bool dataIsFile = data->source.kind == ui::DataSource::Kind::File;
    const std::string before = dataIsFile ? fileBytes(dataFile) : std::string();
    try {
        ui::saveProject(project, QString::fromStdString(folder.string()));
    } catch (const core::Error& e) {
        const std::string m = e.what();
        if (m.find("this file is the project's data file") == std::string::npos)
            fuzz::broken("an opened project does not save: " + m);
        fuzz::check(fileBytes(dataFile) == before, "a refused save leaves the data file alone");
        return;
    }
    if (dataIsFile) fuzz::check(fileBytes(dataFile) == before, "saving leaves the data file alone");
    ui::ProjectFile back;
    try {
        back = ui::readProject(QString::fromStdString(folder.string()));
    } catch (const core::Error& e) {
        fuzz::broken(std::string("a saved project does not read back: ") + e.what());
    }
    fuzz::check(back.fingerprint == data->split.fingerprintHex(), "the saved split fingerprint");
    if (sourceText(back.source) != sourceText(data->source))
        fuzz::broken("the saved data source reads back differently:\n" + sourceText(data->source) +
                     "\n" + sourceText(back.source));
    const auto& runs = project.runs();
    fuzz::check(back.runs.size() == runs.size(), "every run saved");
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const std::string a = ui::runToJson(*runs[k]).dump(), b = ui::runToJson(*back.runs[k]).dump();
        if (a != b) fuzz::broken("a saved run reads back differently:\n" + a + "\n" + b);
        const auto model = runs[k]->inspectModel();
        fuzz::check((model != nullptr) == (back.runs[k]->bestModel != nullptr), "a model for each run that had one");
        if (model)
            fuzz::check(back.runs[k]->bestModel->info().id == model->info().id &&
                            back.runs[k]->bestModel->numItems() == model->numItems() &&
                            back.runs[k]->bestModel->numUsers() == model->numUsers() &&
                            back.runs[k]->bestModel->latentDim() == model->latentDim(),
                        "the saved model reads back");
    }
    fuzz::check(back.overlaid == project.overlaidRuns(), "the saved overlay");
    fuzz::check(back.currentRun == project.currentRunId(), "the saved current run");
}

// The data of the project open before (built once per process: a small demo).
std::shared_ptr<const ui::DataState> priorData() {
    static const auto data = [] {
        ui::DataSource s;
        s.demo.users = 60;
        s.demo.items = 30;
        s.demo.clusters = 2;
        s.demo.meanActivity = 8;
        return ui::buildDataState(s);
    }();
    return data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Input in(data, size);
    const std::uint8_t mode = in.byte();
    const fuzz::Scratch scratch;
    const auto dir = scratch / "project";
    const auto parts = in.parts(4);
    fuzz::writeFile(dir / "project.json", parts[0]);
    for (std::size_t k = 1; k < parts.size(); ++k)
        fuzz::writeFile(dir / "models" / ("run-" + std::to_string(k) + ".vaecf"),
                        (mode & 1) ? std::string(parts[k]) : fuzz::withCrc(parts[k]));
    ui::ProjectFile p;
    try {
        p = ui::readProject(QString::fromStdString(dir.string()));
        for (const auto& r : p.runs) {
            fuzz::check(r != nullptr, "runs are not null");
            if (r->bestModel) fuzz::check(r->bestModel->initialized(), "run models are initialized");
        }
    } catch (const core::Error& e) {
        fuzz::refused(e);
        return 0;
    }

    std::shared_ptr<const ui::DataState> state;
    bool opened = true;  // the app applies the project only when its data was rebuilt
    if ((mode & 2) && smallData(p.source, dir)) {
        ui::DataSource source = p.source;
        source.read.threads = 1;
        // A data file is read under a memory limit (the app's is 90 % of the machine): a
        // compressed file of a few KiB may expand to far more. 8 MiB, not 64: 4.5 KB of bzip2
        // holding 40 MiB of CSV took 49 s a run under ASan and hit the fuzzer's timeout.
        source.read.memoryLimit = 8.0 * 1024 * 1024;
        try {
            state = ui::buildDataState(source);
        } catch (const core::Error& e) {
            fuzz::refused(e);
            opened = false;
        }
        if (state) checkData(*state, source);
    }

    if (mode & 4) {
        if (opened) {
            const Applied want = expectApplied(p, state);
            ui::Project project;  // a QObject: needs no application object or event loop
            if (mode & 32) {
                project.setData(priorData());
                project.addRun(std::make_shared<ui::Run>());
                project.addRun(std::make_shared<ui::Run>());
                project.setOverlaidRuns({1, 2});
                project.setCurrentRun(2);
                project.selectUser({ui::Part::Validation, 0});
            }
            ui::applyProject(project, state, p);
            checkApplied(project, p, state, want);
            fuzz::check(project.selectedUser() == ui::UserRef{}, "no user selected in an opened project");
            if ((mode & 8) && state) checkSaved(project, (mode & 16) ? scratch / "saved" : dir);
        }
        checkSourceRoundTrip(p.source);
        for (const auto& r : p.runs) checkRoundTrip(*r);
    }
    return 0;
}
