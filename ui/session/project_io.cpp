// SPDX-License-Identifier: MIT
#include "session/project_io.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "vaecf/error.h"
#include "vaecf/json_number.h"
#include "vaecf/model_file.h"

namespace vaecf::ui {

using core::fail;
namespace fs = std::filesystem;

namespace {

// An integer field, `fallback` when absent. Not j.value(): it casts a JSON float to the
// integer type unchecked, undefined behaviour for 1e300 (found by fuzzing).
template <class T>
T intValue(const nlohmann::json& j, const char* name, T fallback) {
    if (!j.is_object()) return j.value(name, fallback);  // throws: not an object
    if (!j.contains(name)) return fallback;
    return core::jsonInteger<T>(j[name], std::string("field '") + name + "'");
}

nlohmann::json termsJson(const core::LossTerms& t) {
    return {{"loss", t.loss}, {"recon", t.recon}, {"kl", t.kl}, {"beta", t.beta}, {"penalty", t.penalty}};
}

// JSON has no NaN or infinity: nlohmann writes them as null, read back here as NaN (a
// diverged run's loss, the metrics of an evaluation that scored no user).
double numberOrNaN(const nlohmann::json& v, const std::string& what) {
    if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!v.is_number()) fail(what + " holds " + v.type_name() + ", expected a number");
    return v.get<double>();
}

// Field `key` of the object `j` (0 when absent).
double numberField(const nlohmann::json& j, const char* key, const std::string& where) {
    const auto it = j.find(key);
    return it == j.end() ? 0.0 : numberOrNaN(*it, where + " field '" + key + "'");
}

core::LossTerms termsFrom(const nlohmann::json& j) {
    const std::string where = "run epochs: 'train'";
    core::LossTerms t;
    t.loss = numberField(j, "loss", where);
    t.recon = numberField(j, "recon", where);
    t.kl = numberField(j, "kl", where);
    t.beta = numberField(j, "beta", where);
    t.penalty = numberField(j, "penalty", where);
    return t;
}

// name -> value, null read as NaN.
std::map<std::string, double> metricMap(const nlohmann::json& j, const char* key) {
    std::map<std::string, double> out;
    const auto it = j.find(key);
    if (it == j.end()) return out;
    if (!it->is_object())
        fail(std::string("run report: '") + key + "' holds " + it->type_name() + ", expected an object");
    for (auto m = it->begin(); m != it->end(); ++m)
        out[m.key()] = numberOrNaN(*m, std::string("run report: '") + key + "' of '" + m.key() + "'");
    return out;
}

nlohmann::json reportJson(const core::MetricReport& r) {
    return {{"mean", r.mean},
            {"std_error", r.stdError},
            {"users_scored", r.usersScored},
            {"users_without_heldout", r.usersWithoutHeldOut}};
}

core::MetricReport reportFrom(const nlohmann::json& j) {
    core::MetricReport r;
    r.mean = metricMap(j, "mean");
    r.stdError = metricMap(j, "std_error");
    r.usersScored = intValue(j, "users_scored", std::int64_t{0});
    r.usersWithoutHeldOut = intValue(j, "users_without_heldout", std::int64_t{0});
    return r;
}

RunState stateFrom(const std::string& s) {
    for (RunState st : {RunState::Ready, RunState::Running, RunState::Paused, RunState::Finished,
                        RunState::Stopped, RunState::Failed, RunState::Diverged})
        if (runStateName(st).toStdString() == s) return st;
    fail("run field 'state' has an unknown value '" + s + "'");
}

std::string readText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) fail(p.string() + ": cannot open the project file");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Where a run's model is saved, relative to the project folder.
std::string modelFileName(int runId) { return "models/run-" + std::to_string(runId) + ".vaecf"; }

}  // namespace

nlohmann::json runToJson(const Run& r) {
    nlohmann::json j;
    j["id"] = r.id;
    j["name"] = r.name.toStdString();
    j["model"] = r.modelId;
    j["config"] = r.config;
    j["options"] = {{"epochs", r.options.epochs}, {"seed", r.options.seed},
                    {"threads", r.options.threads}, {"patience", r.options.patience},
                    {"validate", r.options.validate}};
    // A run saved while training is recorded as stopped: its worker does not survive.
    RunState st = r.state;
    if (st == RunState::Running || st == RunState::Paused || st == RunState::Ready) st = RunState::Stopped;
    j["state"] = runStateName(st).toStdString();
    j["error"] = r.error.toStdString();
    j["colour"] = r.colour.name().toStdString();
    j["created"] = r.created.toString(Qt::ISODate).toStdString();
    j["fingerprint"] = r.fingerprint;
    j["total_epochs"] = r.totalEpochs;
    j["best_epoch"] = r.bestEpoch;
    // Batches as columns: compact and quick to read back.
    nlohmann::json b;
    for (const char* k : {"update", "epoch", "x", "seconds", "loss", "recon", "kl", "beta", "penalty"})
        b[k] = nlohmann::json::array();
    for (const BatchPoint& p : r.batches) {
        b["update"].push_back(p.update);
        b["epoch"].push_back(p.epoch);
        b["x"].push_back(p.epochProgress);
        b["seconds"].push_back(p.seconds);
        b["loss"].push_back(p.terms.loss);
        b["recon"].push_back(p.terms.recon);
        b["kl"].push_back(p.terms.kl);
        b["beta"].push_back(p.terms.beta);
        b["penalty"].push_back(p.terms.penalty);
    }
    j["batches"] = std::move(b);
    nlohmann::json e = nlohmann::json::array();
    for (const EpochPoint& p : r.epochs) {
        const core::EpochReport& x = p.report;
        nlohmann::json o{{"epoch", x.epoch},       {"train", termsJson(x.train)},
                         {"batches", x.batches},   {"updates", x.updates},
                         {"train_seconds", x.trainSeconds}, {"eval_seconds", x.evalSeconds},
                         {"validated", x.validated}, {"improved", x.improved},
                         {"seconds", p.seconds}};
        if (x.validated) o["validation"] = reportJson(x.validation);
        e.push_back(std::move(o));
    }
    j["epochs"] = std::move(e);
    if (r.test) j["test"] = reportJson(*r.test);
    return j;
}

std::shared_ptr<Run> runFromJson(const nlohmann::json& j) {
    try {
        auto r = std::make_shared<Run>();
        r->id = core::jsonInteger<int>(j.at("id"), "run field 'id'");
        r->name = QString::fromStdString(j.at("name").get<std::string>());
        r->modelId = j.at("model").get<std::string>();
        const core::ModelInfo& info = core::modelInfo(r->modelId);
        r->config = core::validateConfig(info.params, j.at("config"), info.id);
        const auto& o = j.at("options");
        r->options.epochs = intValue(o, "epochs", 0);
        r->options.seed = intValue(o, "seed", std::uint64_t{98765});
        r->options.threads = intValue(o, "threads", 0);
        r->options.patience = intValue(o, "patience", 0);
        r->options.validate = o.value("validate", true);
        r->state = stateFrom(j.value("state", std::string("stopped")));
        r->error = QString::fromStdString(j.value("error", std::string()));
        r->colour = QColor(QString::fromStdString(j.value("colour", std::string())));
        r->created = QDateTime::fromString(QString::fromStdString(j.value("created", std::string())), Qt::ISODate);
        r->fingerprint = j.value("fingerprint", std::string());
        r->totalEpochs = intValue(j, "total_epochs", 0);
        r->bestEpoch = intValue(j, "best_epoch", 0);
        const auto& b = j.at("batches");
        const std::size_t n = b.at("update").size();
        for (const char* k : {"epoch", "x", "seconds", "loss", "recon", "kl", "beta", "penalty"})
            if (b.at(k).size() != n)
                fail(std::string("run batches: column '") + k + "' has " + std::to_string(b.at(k).size()) +
                     " values, 'update' has " + std::to_string(n));
        // A diverged run's last loss is written as null and read back as NaN.
        const auto column = [&](const char* name, std::size_t i) {
            return numberOrNaN(b[name][i], std::string("run batches: column '") + name + "'");
        };
        r->batches.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            BatchPoint& p = r->batches[i];
            p.update = core::jsonInteger<std::int64_t>(b["update"][i], "run batches 'update'");
            p.epoch = core::jsonInteger<int>(b["epoch"][i], "run batches 'epoch'");
            p.epochProgress = column("x", i);
            p.seconds = column("seconds", i);
            p.terms.loss = column("loss", i);
            p.terms.recon = column("recon", i);
            p.terms.kl = column("kl", i);
            p.terms.beta = column("beta", i);
            p.terms.penalty = column("penalty", i);
        }
        for (const auto& e : j.at("epochs")) {
            EpochPoint p;
            p.report.epoch = core::jsonInteger<int>(e.at("epoch"), "run epochs 'epoch'");
            p.report.train = termsFrom(e.at("train"));
            p.report.batches = intValue(e, "batches", std::int64_t{0});
            p.report.updates = intValue(e, "updates", std::int64_t{0});
            p.report.trainSeconds = numberField(e, "train_seconds", "run epochs:");
            p.report.evalSeconds = numberField(e, "eval_seconds", "run epochs:");
            p.report.validated = e.value("validated", false);
            p.report.improved = e.value("improved", false);
            if (p.report.validated) p.report.validation = reportFrom(e.at("validation"));
            p.seconds = numberField(e, "seconds", "run epochs:");
            r->epochs.push_back(std::move(p));
        }
        if (j.contains("test")) r->test = reportFrom(j["test"]);
        return r;
    } catch (const nlohmann::json::exception& e) {
        fail(std::string("run record is invalid: ") + e.what());
    }
}

void saveProject(const Project& project, const QString& folder) {
    const fs::path dir = folder.toStdString();
    std::error_code ec;
    fs::create_directories(dir / "models", ec);
    if (ec) fail(dir.string() + ": cannot create the project folder: " + ec.message());
    nlohmann::json j;
    j["format"] = "vaecf-studio-project";
    j["version"] = kProjectFormatVersion;
    const auto data = project.data();
    if (!data) fail("cannot save a project without data");
    // A data file kept inside the project folder must not be one of the files saving writes
    // (a file named project.json, or models/run-2.vaecf): refused before anything is written.
    if (data->source.kind == DataSource::Kind::File) {
        std::error_code srcEc;
        const fs::path src = fs::weakly_canonical(fs::path(data->source.path.toStdString()), srcEc);
        std::vector<fs::path> targets{dir / "project.json"};
        for (const auto& r : project.runs())
            if (r->inspectModel()) targets.push_back(dir / modelFileName(r->id));
        for (const fs::path& t : targets) {
            std::error_code tec;
            if (!srcEc && fs::weakly_canonical(t, tec) == src && !tec)
                fail(t.string() + ": cannot save the project here: this file is the project's data "
                                  "file, and saving would overwrite it");
        }
    }
    j["data"] = data->source.toJson();
    // Paths inside the project folder are stored relative to it, so the folder can move.
    if (data->source.kind != DataSource::Kind::Demo) {
        const fs::path src = data->source.path.toStdString();
        const fs::path rel = fs::relative(src, dir, ec);
        if (!ec && !rel.empty() && rel.begin()->string() != "..") j["data"]["relative_path"] = rel.string();
    }
    j["fingerprint"] = data->split.fingerprintHex();
    j["runs"] = nlohmann::json::array();
    j["overlaid"] = project.overlaidRuns();
    j["current_run"] = project.currentRunId();
    for (const auto& r : project.runs()) {
        nlohmann::json rj = runToJson(*r);
        if (auto model = r->inspectModel()) {
            const std::string file = modelFileName(r->id);
            core::ModelMeta meta;
            // The data's item ids and titles, only for a model of this data (runMatchesData
            // compares the item counts too): a model file lists none or one per model item, or
            // it would not load back.
            if (project.runMatchesData(*r)) {
                meta.itemIds = data->split.itemIds;
                for (std::int32_t c = 0; c < data->split.numItems(); ++c)
                    meta.itemTitles.push_back(data->itemTitle(c).toStdString());
            }
            meta.datasetName = data->title().toStdString();
            meta.splitFingerprint = r->fingerprint;
            meta.training = {{"seed", r->options.seed}, {"best_epoch", r->bestEpoch}};
            core::saveModelFile(dir / file, *model, meta);
            rj["model_file"] = file;
        }
        j["runs"].push_back(std::move(rj));
    }
    core::writeFileAtomically(dir / "project.json", j.dump(1) + "\n");
}

ProjectFile readProject(const QString& folder) {
    const fs::path dir = folder.toStdString();
    const fs::path file = dir / "project.json";
    if (!fs::exists(file)) fail(dir.string() + ": not a project folder (no project.json)");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(readText(file));
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
        fail(file.string() + ": not valid JSON: " + e.what());
    }
    const std::string where = file.string() + ": ";
    if (!j.is_object() || !j.contains("format") || j["format"] != "vaecf-studio-project")
        fail(where + "not a VAE-CF Studio project (expected an object with "
                     "\"format\": \"vaecf-studio-project\")");
    std::int64_t version = 0;
    try {
        version = intValue(j, "version", std::int64_t{0});
    } catch (const core::Error& e) {
        fail(where + e.what());
    }
    if (version < 1 || version > kProjectFormatVersion)
        fail(where + "project format version " + std::to_string(version) +
             " is not supported (this build reads version " + std::to_string(kProjectFormatVersion) + ")");
    ProjectFile out;
    try {
        out.source = DataSource::fromJson(j.at("data"));
        if (j["data"].contains("relative_path"))
            out.source.path = QString::fromStdString((dir / j["data"]["relative_path"].get<std::string>()).string());
        out.fingerprint = j.value("fingerprint", std::string());
        for (const auto& rj : j.at("runs")) {
            auto r = runFromJson(rj);
            if (rj.contains("model_file")) {
                const fs::path mf = dir / rj["model_file"].get<std::string>();
                core::LoadedModel lm = core::loadModelFile(mf);
                if (lm.model->info().id != r->modelId)
                    fail(mf.string() + ": holds a " + lm.model->info().id + " model, the run says " + r->modelId);
                std::shared_ptr<const core::Model> m(std::move(lm.model));
                r->bestModel = m;
                r->latestModel = m;
                r->modelPath = QString::fromStdString(mf.string());
            }
            out.runs.push_back(std::move(r));
        }
        if (j.contains("overlaid")) {
            if (!j["overlaid"].is_array()) fail(where + "field 'overlaid' must be a list of run ids");
            for (const auto& id : j["overlaid"]) out.overlaid.push_back(core::jsonInteger<int>(id, "field 'overlaid'"));
        }
        out.currentRun = intValue(j, "current_run", -1);
    } catch (const nlohmann::json::exception& e) {
        fail(where + "invalid field: " + e.what());
    } catch (const core::Error& e) {
        const std::string w = e.what();
        if (w.rfind(dir.string(), 0) == 0) throw;
        fail(where + w);
    }
    return out;
}

void applyProject(Project& project, std::shared_ptr<const DataState> data, ProjectFile file) {
    project.clearRuns();
    project.setData(data);
    if (!file.fingerprint.empty() && data && data->split.fingerprintHex() != file.fingerprint)
        project.log(Severity::Warning,
                    QObject::tr("The data rebuilt for this project gives split %1, the project was saved "
                                "with %2: its runs cannot be inspected on it (did the data file change?)")
                        .arg(QString::fromStdString(data->split.fingerprintHex()),
                             QString::fromStdString(file.fingerprint)));
    std::map<int, int> newIds;
    for (auto& r : file.runs) {
        const int old = r->id;
        Run* added = project.addRun(r);
        newIds[old] = added->id;
    }
    std::vector<int> overlaid;
    for (int id : file.overlaid)
        if (newIds.count(id)) overlaid.push_back(newIds[id]);
    project.setOverlaidRuns(overlaid);
    if (newIds.count(file.currentRun)) project.setCurrentRun(newIds[file.currentRun]);
    else if (!project.runs().empty()) project.setCurrentRun(project.runs().back()->id);
}

}  // namespace vaecf::ui
