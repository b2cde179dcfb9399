// SPDX-License-Identifier: MIT
#include "session/project.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <unordered_map>

#include "vaecf/error.h"
#include "vaecf/json_number.h"

#include <QStringDecoder>
#include <QThread>
#include <QThreadPool>

namespace vaecf::ui {

using core::fail;

namespace {

const char* kindName(DataSource::Kind k) {
    switch (k) {
    case DataSource::Kind::Demo: return "demo";
    case DataSource::Kind::File: return "file";
    case DataSource::Kind::LiangFolder: return "liang-folder";
    }
    return "demo";
}

std::string recipeName(core::SplitRecipe r) {
    return r == core::SplitRecipe::PythonRandom ? "python" : "notebook";
}

template <class T>
T field(const nlohmann::json& j, const char* name, T fallback) {
    if (!j.contains(name)) return fallback;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)  // get<T>() casts 1e300 unchecked
        return core::jsonInteger<T>(j.at(name), std::string("data source field '") + name + "'");
    try {
        return j.at(name).get<T>();
    } catch (const nlohmann::json::exception&) {
        fail(std::string("data source field '") + name + "' has the wrong type");
    }
}

}  // namespace

QString DataSource::describe() const {
    switch (kind) {
    case Kind::Demo:
        return QStringLiteral("demo dataset (%1 users, %2 items, %3 clusters, seed %4)")
            .arg(demo.users)
            .arg(demo.items)
            .arg(demo.clusters)
            .arg(demo.seed);
    case Kind::File: return path;
    case Kind::LiangFolder: return QStringLiteral("Liang split folder %1").arg(path);
    }
    return {};
}

nlohmann::json DataSource::toJson() const {
    nlohmann::json j;
    j["kind"] = kindName(kind);
    j["path"] = path.toStdString();
    j["read"] = {{"format", read.format},
                 {"delimiter", std::string(read.delimiter ? 1 : 0, read.delimiter)},
                 {"header", read.header ? nlohmann::json(*read.header) : nlohmann::json()},
                 {"user_column", read.userColumn},
                 {"item_column", read.itemColumn},
                 {"rating_column", read.ratingColumn},
                 {"time_column", read.timeColumn},
                 {"skip_bad_lines", read.skipBadLines}};
    j["demo"] = {{"users", demo.users},       {"items", demo.items},
                 {"clusters", demo.clusters}, {"genres", demo.genres},
                 {"mean_activity", demo.meanActivity}, {"noise", demo.noise},
                 {"popularity_skew", demo.popularitySkew}, {"seed", demo.seed}};
    j["preprocess"] = {
        {"rating_threshold",
         std::isnan(prep.ratingThreshold) ? nlohmann::json() : nlohmann::json(prep.ratingThreshold)},
        {"threshold_counts", prep.applyThresholdToCounts},
        {"min_user", prep.minUserInteractions},
        {"min_item", prep.minItemInteractions}};
    j["split"] = {{"heldout_users", split.heldOutUsers},
                  {"heldout_fraction", split.heldOutFraction},
                  {"test_proportion", split.testProportion},
                  {"min_items_to_split", split.minItemsToSplit},
                  {"seed", split.seed},
                  {"recipe", recipeName(split.recipe)}};
    return j;
}

DataSource DataSource::fromJson(const nlohmann::json& j) {
    if (!j.is_object()) fail("data source: expected an object");
    DataSource s;
    const std::string kind = field<std::string>(j, "kind", "demo");
    if (kind == "demo") s.kind = Kind::Demo;
    else if (kind == "file") s.kind = Kind::File;
    else if (kind == "liang-folder") s.kind = Kind::LiangFolder;
    else fail("data source field 'kind' must be demo, file or liang-folder, got '" + kind + "'");
    s.path = QString::fromStdString(field<std::string>(j, "path", ""));
    if (j.contains("read")) {
        const auto& r = j["read"];
        s.read.format = field<std::string>(r, "format", "auto");
        const std::string d = field<std::string>(r, "delimiter", "");
        // The delimiter is one byte: the first byte of a non-ASCII character would be half of
        // it, which toJson() cannot write back into project.json (UTF-8), so the project could
        // not be saved again (found by fuzz_project).
        if (!d.empty() && static_cast<unsigned char>(d[0]) >= 0x80)
            fail("data source field 'read.delimiter' must be an ASCII character, got '" + d + "'");
        s.read.delimiter = d.empty() ? 0 : d[0];
        if (r.contains("header") && r["header"].is_boolean()) s.read.header = r["header"].get<bool>();
        // Checked here too (the reader checks them again) so that opening the project names
        // project.json and the field rather than only the data file.
        const auto column = [&](const char* key, int fallback, int lowest) {
            const int c = field<int>(r, key, fallback);
            if (c < lowest || c > 31)
                fail(std::string("data source field 'read.") + key + "' must be from " +
                     std::to_string(lowest) + " to 31, got " + std::to_string(c));
            return c;
        };
        s.read.userColumn = column("user_column", 0, 0);
        s.read.itemColumn = column("item_column", 1, 0);
        s.read.ratingColumn = column("rating_column", 2, -1);
        s.read.timeColumn = column("time_column", -1, -1);
        if (s.read.userColumn == s.read.itemColumn)
            fail("data source fields 'read.user_column' and 'read.item_column' must differ, both are " +
                 std::to_string(s.read.userColumn));
        s.read.skipBadLines = field<bool>(r, "skip_bad_lines", false);
    }
    if (j.contains("demo")) {
        const auto& d = j["demo"];
        s.demo.users = field<std::int64_t>(d, "users", s.demo.users);
        s.demo.items = field<std::int64_t>(d, "items", s.demo.items);
        s.demo.clusters = field<int>(d, "clusters", s.demo.clusters);
        s.demo.genres = field<int>(d, "genres", s.demo.genres);
        s.demo.meanActivity = field<double>(d, "mean_activity", s.demo.meanActivity);
        s.demo.noise = field<double>(d, "noise", s.demo.noise);
        s.demo.popularitySkew = field<double>(d, "popularity_skew", s.demo.popularitySkew);
        s.demo.seed = field<std::uint64_t>(d, "seed", s.demo.seed);
    }
    if (j.contains("preprocess")) {
        const auto& p = j["preprocess"];
        s.prep.ratingThreshold = p.contains("rating_threshold") && p["rating_threshold"].is_number()
                                     ? p["rating_threshold"].get<double>()
                                     : std::nan("");
        s.prep.applyThresholdToCounts = field<bool>(p, "threshold_counts", false);
        s.prep.minUserInteractions = field<int>(p, "min_user", 5);
        s.prep.minItemInteractions = field<int>(p, "min_item", 0);
    }
    if (j.contains("split")) {
        const auto& p = j["split"];
        s.split.heldOutUsers = field<std::int64_t>(p, "heldout_users", 0);
        s.split.heldOutFraction = field<double>(p, "heldout_fraction", 0.1);
        s.split.testProportion = field<double>(p, "test_proportion", 0.2);
        s.split.minItemsToSplit = field<int>(p, "min_items_to_split", 5);
        s.split.seed = field<std::uint32_t>(p, "seed", 98765);
        const std::string recipe = field<std::string>(p, "recipe", "notebook");
        if (recipe != "notebook" && recipe != "python")
            fail("data source field 'split.recipe' must be notebook or python, got '" + recipe + "'");
        s.split.recipe =
            recipe == "python" ? core::SplitRecipe::PythonRandom : core::SplitRecipe::LiangNotebook;
    }
    return s;
}

QThreadPool* jobPool() {
    static QThreadPool* pool = [] {
        auto* p = new QThreadPool;
        p->setMaxThreadCount(std::max(2, QThread::idealThreadCount()));
        p->setExpiryTimeout(30000);
        return p;
    }();
    return pool;
}

QString partName(Part part) {
    switch (part) {
    case Part::Train: return QStringLiteral("train");
    case Part::Validation: return QStringLiteral("validation");
    case Part::Test: return QStringLiteral("test");
    }
    return {};
}

QString dataText(const std::string& utf8) {
    QStringDecoder decode(QStringConverter::Utf8, QStringConverter::Flag::ConvertInitialBom |
                                                     QStringConverter::Flag::Stateless);
    return decode(QByteArrayView(utf8.data(), static_cast<qsizetype>(utf8.size())));
}

QString DataState::title() const {
    if (source.kind == DataSource::Kind::Demo)
        return QStringLiteral("Demo (%L1 users, %L2 items)")
            .arg(split.train.rows + split.validation.foldIn.rows + split.test.foldIn.rows)
            .arg(split.numItems());
    if (!split.datasetName.empty()) return dataText(split.datasetName);
    if (!dataset.name.empty()) return dataText(dataset.name);
    return QString::fromStdString(std::filesystem::path(source.path.toStdString()).filename().string());
}

const core::CsrMatrix& DataState::rows(Part part) const {
    switch (part) {
    case Part::Train: return split.train;
    case Part::Validation: return split.validation.foldIn;
    case Part::Test: return split.test.foldIn;
    }
    return split.train;
}

const std::vector<std::string>& DataState::userIds(Part part) const {
    switch (part) {
    case Part::Train: return split.trainUserIds;
    case Part::Validation: return split.validation.userIds;
    case Part::Test: return split.test.userIds;
    }
    return split.trainUserIds;
}

QString DataState::userText(Part part, std::int64_t row) const {
    const auto& ids = userIds(part);
    return row >= 0 && static_cast<std::size_t>(row) < ids.size()
               ? dataText(ids[static_cast<std::size_t>(row)])
               : QString::number(row);
}

const core::CsrMatrix* DataState::heldOut(Part part) const {
    switch (part) {
    case Part::Train: return nullptr;
    case Part::Validation: return &split.validation.heldOut;
    case Part::Test: return &split.test.heldOut;
    }
    return nullptr;
}

const std::vector<std::int32_t>& DataState::clusters(Part part) const {
    switch (part) {
    case Part::Train: return trainCluster;
    case Part::Validation: return validationCluster;
    case Part::Test: return testCluster;
    }
    return trainCluster;
}

QString DataState::itemTitle(std::int32_t column) const {
    if (column < 0 || column >= split.numItems()) return {};
    const auto c = static_cast<std::size_t>(column);
    if (c < split.items.size() && !split.items[c].title.empty())
        return dataText(split.items[c].title);
    return dataText(split.itemIds[c]);
}

QString DataState::itemGenres(std::int32_t column) const {
    const auto c = static_cast<std::size_t>(column);
    if (column < 0 || c >= split.items.size()) return {};
    QStringList names;
    for (std::int32_t g : split.items[c].genres)
        if (g >= 0 && static_cast<std::size_t>(g) < split.genreNames.size())
            names << dataText(split.genreNames[static_cast<std::size_t>(g)]);
    return names.join(QStringLiteral(", "));
}

std::optional<UserRef> DataState::findUser(const std::string& id) const {
    for (Part p : {Part::Train, Part::Validation, Part::Test}) {
        const auto& ids = userIds(p);
        const auto it = std::find(ids.begin(), ids.end(), id);
        if (it != ids.end()) return UserRef{p, static_cast<std::int64_t>(it - ids.begin())};
    }
    return std::nullopt;
}

std::shared_ptr<const DataState> buildDataState(
    const DataSource& source, std::shared_ptr<const core::Dataset> raw,
    const std::function<bool(std::uint64_t, std::uint64_t)>& progress,
    const std::function<void(const core::MemoryEstimate&)>& onEstimate) {
    auto st = std::make_shared<DataState>();
    st->source = source;
    std::vector<std::int32_t> rawClusters;
    std::vector<std::string> clusterNames;
    if (source.kind == DataSource::Kind::LiangFolder) {
        if (onEstimate) onEstimate(core::estimateLiangSplitMemory(source.path.toStdString()));
        st->split = core::loadLiangSplit(source.path.toStdString(), source.read.skipBadLines,
                                         &st->readReport);
    } else {
        if (!raw) {
            if (source.kind == DataSource::Kind::Demo) {
                core::DemoDataset d = core::makeDemoDataset(source.demo);
                rawClusters = std::move(d.userCluster);
                clusterNames = std::move(d.clusterNames);
                raw = std::make_shared<core::Dataset>(std::move(d.data));
            } else {
                const std::string path = source.path.toStdString();
                if (!std::filesystem::exists(path)) fail(path + ": no such file or folder");
                core::ReadOptions ro = source.read;
                ro.keepFileOrder = true;
                ro.progress = progress;
                ro.onEstimate = onEstimate;
                raw = std::make_shared<core::Dataset>(core::readDataset(path, ro));
            }
        } else if (source.kind == DataSource::Kind::Demo) {
            // Regenerating is cheap and gives the ground truth back.
            core::DemoDataset d = core::makeDemoDataset(source.demo);
            rawClusters = std::move(d.userCluster);
            clusterNames = std::move(d.clusterNames);
        }
        st->raw = raw;
        st->readReport = raw->readReport;
        st->dataset = core::preprocess(*raw, source.prep, &st->report);
        st->split = st->dataset.fileOrder.users.empty()
                        ? core::makeLiangSplit(st->dataset, source.split)
                        : core::makeLiangSplit(st->dataset, source.split, st->dataset.fileOrder);
        st->dataset.fileOrder = {};
        if (!rawClusters.empty()) {
            std::unordered_map<std::string, std::int32_t> byId;
            for (std::size_t u = 0; u < raw->userIds.size() && u < rawClusters.size(); ++u)
                byId.emplace(raw->userIds[u], rawClusters[u]);
            auto map = [&](const std::vector<std::string>& ids) {
                std::vector<std::int32_t> out(ids.size(), -1);
                for (std::size_t r = 0; r < ids.size(); ++r)
                    if (auto it = byId.find(ids[r]); it != byId.end()) out[r] = it->second;
                return out;
            };
            st->trainCluster = map(st->split.trainUserIds);
            st->validationCluster = map(st->split.validation.userIds);
            st->testCluster = map(st->split.test.userIds);
            st->clusterNames = std::move(clusterNames);
        }
    }
    st->itemPopularity.assign(static_cast<std::size_t>(st->split.numItems()), 0);
    for (std::int32_t c : st->split.train.indices) ++st->itemPopularity[static_cast<std::size_t>(c)];
    return st;
}

QString runStateName(RunState state) {
    switch (state) {
    case RunState::Ready: return QStringLiteral("ready");
    case RunState::Running: return QStringLiteral("running");
    case RunState::Paused: return QStringLiteral("paused");
    case RunState::Finished: return QStringLiteral("finished");
    case RunState::Stopped: return QStringLiteral("stopped");
    case RunState::Failed: return QStringLiteral("failed");
    case RunState::Diverged: return QStringLiteral("diverged");
    }
    return {};
}

double Run::secondsPerEpoch() const {
    if (epochs.empty()) return 0;
    double s = 0;
    for (const auto& e : epochs) s += e.report.trainSeconds;
    return s / static_cast<double>(epochs.size());
}

double Run::bestMetric(const std::string& name) const {
    for (const auto& e : epochs)
        if (e.report.epoch == bestEpoch && e.report.validated) {
            const auto it = e.report.validation.mean.find(name);
            if (it != e.report.validation.mean.end()) return it->second;
        }
    return std::numeric_limits<double>::quiet_NaN();
}

double Run::finalMetric(const std::string& name) const {
    for (auto e = epochs.rbegin(); e != epochs.rend(); ++e)
        if (e->report.validated) {
            const auto it = e->report.validation.mean.find(name);
            if (it != e->report.validation.mean.end()) return it->second;
        }
    return std::numeric_limits<double>::quiet_NaN();
}

QString Run::modelName() const {
    try {
        return QString::fromStdString(core::modelInfo(modelId).name);
    } catch (const core::Error&) {
        return QString::fromStdString(modelId);
    }
}

QString Run::configSummary() const {
    QStringList parts;
    const core::ParamSpecs* specs = nullptr;
    try {
        specs = &core::modelInfo(modelId).params;
    } catch (const core::Error&) {
    }
    for (auto it = config.begin(); it != config.end(); ++it) {
        QString key = QString::fromStdString(it.key());
        if (specs)
            if (const core::ParamSpec* s = core::findSpec(*specs, it.key()); s && !s->symbol.empty())
                key = QString::fromStdString(s->symbol);
        parts << key + QLatin1Char('=') + QString::fromStdString(core::formatParamValue(it.value()));
    }
    return parts.join(QLatin1Char(' '));
}

Project::Project(QObject* parent) : QObject(parent) {
    qRegisterMetaType<vaecf::ui::UserRef>();
    qRegisterMetaType<vaecf::ui::Severity>();
}

Project::~Project() = default;

void Project::setData(std::shared_ptr<const DataState> data) {
    m_data = std::move(data);
    m_selectedUser = {};
    Q_EMIT dataChanged();
}

Run* Project::run(int id) const {
    for (const auto& r : m_runs)
        if (r->id == id) return r.get();
    return nullptr;
}

Run* Project::addRun(std::shared_ptr<Run> run) {
    run->id = m_nextId++;
    if (!run->colour.isValid()) run->colour = paletteColour(run->id - 1);
    if (!run->created.isValid()) run->created = QDateTime::currentDateTime();
    if (run->fingerprint.empty() && m_data) run->fingerprint = m_data->split.fingerprintHex();
    if (run->name.isEmpty()) run->name = QStringLiteral("%1 #%2").arg(run->modelName()).arg(run->id);
    m_runs.push_back(std::move(run));
    Run* r = m_runs.back().get();
    Q_EMIT runAdded(r->id);
    return r;
}

void Project::removeRun(int id) {
    const auto it = std::find_if(m_runs.begin(), m_runs.end(), [&](const auto& r) { return r->id == id; });
    if (it == m_runs.end()) return;
    m_runs.erase(it);
    if (std::erase(m_overlaid, id) > 0) Q_EMIT overlaidRunsChanged();
    Q_EMIT runRemoved(id);
    if (m_currentRun == id) setCurrentRun(m_runs.empty() ? -1 : m_runs.back()->id);
}

void Project::renameRun(int id, const QString& name) {
    if (Run* r = run(id); r && !name.trimmed().isEmpty() && r->name != name.trimmed()) {
        r->name = name.trimmed();
        Q_EMIT runChanged(id);
    }
}

void Project::clearRuns() {
    while (!m_runs.empty()) removeRun(m_runs.back()->id);
    m_nextId = 1;
}

void Project::notifyRunChanged(int id) {
    if (run(id)) Q_EMIT runChanged(id);
}

bool Project::runMatchesData(const Run& r) const {
    if (!m_data || r.fingerprint != m_data->split.fingerprintHex()) return false;
    // A project file may pair a model with a fingerprint it was not trained on (a run saved
    // without one takes the data's): its scores must not be read as this data's items.
    const auto model = r.inspectModel();
    return !model || model->numItems() == m_data->split.numItems();
}

void Project::setCurrentRun(int id) {
    if (id != -1 && !run(id)) return;
    if (m_currentRun == id) return;
    m_currentRun = id;
    Q_EMIT currentRunChanged(id);
}

void Project::setOverlaidRuns(std::vector<int> ids) {
    std::erase_if(ids, [&](int id) { return run(id) == nullptr; });
    if (ids == m_overlaid) return;
    m_overlaid = std::move(ids);
    Q_EMIT overlaidRunsChanged();
}

void Project::selectUser(UserRef user) {
    m_selectedUser = user;
    Q_EMIT userSelected(user);
}

void Project::log(Severity severity, const QString& message) {
    Q_EMIT logged(severity, message, QDateTime::currentDateTime());
}

QColor Project::paletteColour(int index) {
    // Okabe & Ito's colour-blind-safe palette, then Paul Tol's "muted" for more categories.
    static const QColor colours[] = {
        QColor(0x00, 0x72, 0xB2), QColor(0xE6, 0x9F, 0x00), QColor(0x00, 0x9E, 0x73),
        QColor(0xCC, 0x79, 0xA7), QColor(0x56, 0xB4, 0xE9), QColor(0xD5, 0x5E, 0x00),
        QColor(0xF0, 0xE4, 0x42), QColor(0x33, 0x22, 0x88), QColor(0x88, 0xCC, 0xEE),
        QColor(0x44, 0xAA, 0x99), QColor(0x11, 0x77, 0x33), QColor(0x99, 0x99, 0x33),
        QColor(0xDD, 0xCC, 0x77), QColor(0xCC, 0x66, 0x77), QColor(0x88, 0x22, 0x55),
        QColor(0xAA, 0x44, 0x99)};
    constexpr int n = static_cast<int>(std::size(colours));
    return colours[((index % n) + n) % n];
}

}  // namespace vaecf::ui
