// SPDX-License-Identifier: MIT
// The studio's document: the loaded data (dataset, preprocessing, split) and the runs trained
// on it. Lives on the GUI thread; every panel reads it and listens to its signals. Heavy work
// (loading, training, projections) happens elsewhere and hands immutable results back here.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <QColor>
#include <QDateTime>
#include <QObject>
#include <QString>

#include "vaecf/dataset.h"
#include "vaecf/metrics.h"
#include "vaecf/model.h"
#include "vaecf/split.h"
#include "vaecf/synthetic.h"
#include "vaecf/trainer.h"

class QThreadPool;

namespace vaecf::ui {

// Text from the data (ids, titles, genre and cluster names) for display. Unlike
// QString::fromStdString, it keeps a leading U+FEFF: fromUtf8 drops one as a byte-order mark,
// so an id that is only that character would show empty and one that starts with it would
// show, and search, as another id. Invalid UTF-8 becomes U+FFFD as with fromStdString.
QString dataText(const std::string& utf8);

// Where the data came from and how it was prepared: enough to rebuild it (projects store it).
struct DataSource {
    enum class Kind { Demo, File, LiangFolder };
    Kind kind = Kind::Demo;
    QString path;                     // File / LiangFolder
    core::ReadOptions read;           // File (the progress callback is not part of it)
    core::DemoOptions demo;           // Demo
    core::PreprocessOptions prep;     // Demo / File
    core::SplitOptions split;         // Demo / File
    QString describe() const;         // one line for the status bar and logs
    nlohmann::json toJson() const;
    static DataSource fromJson(const nlohmann::json& j);  // throws core::Error naming the field
};

// The three user groups of a Liang split.
enum class Part { Train, Validation, Test };
QString partName(Part part);

// A user of the split: its group and row there.
struct UserRef {
    Part part = Part::Train;
    std::int64_t row = -1;
    bool valid() const { return row >= 0; }
    bool operator==(const UserRef&) const = default;
};

// Everything derived from a DataSource; immutable once built, shared between threads.
struct DataState {
    DataSource source;
    std::shared_ptr<const core::Dataset> raw;  // as read (before preprocessing); null for Liang folders
    core::Dataset dataset;                     // preprocessed (empty for Liang folders)
    core::PreprocessReport report;
    // How the file or split folder was read: lines skipped, repeated pairs, memory estimate.
    core::ReadReport readReport;
    core::Split split;
    // Demo data only: ground-truth taste cluster of each row of each part (else empty).
    std::vector<std::int32_t> trainCluster, validationCluster, testCluster;
    std::vector<std::string> clusterNames;
    // Training interactions per item column of the split.
    std::vector<std::int64_t> itemPopularity;

    QString title() const;                     // "Demo (3,000 users)" or the dataset name
    const core::CsrMatrix& rows(Part part) const;  // train matrix, or a part's fold-in rows
    const std::vector<std::string>& userIds(Part part) const;
    // A user's original id for display, or its row number when the part has no id for it.
    QString userText(Part part, std::int64_t row) const;
    const core::CsrMatrix* heldOut(Part part) const;  // null for Train
    const std::vector<std::int32_t>& clusters(Part part) const;  // may be empty
    std::int64_t numUsers(Part part) const { return rows(part).rows; }
    // Item title, or its original id when the dataset has no titles.
    QString itemTitle(std::int32_t column) const;
    // Genre names of an item ("" when none).
    QString itemGenres(std::int32_t column) const;
    // Finds a user by original id across the parts.
    std::optional<UserRef> findUser(const std::string& id) const;
};

// Builds the state for `source`: reads (or generates) the data, preprocesses and splits it.
// `raw` (optional) reuses an already-read dataset when only preprocessing or split options
// changed. `progress(done, total)` may return false to cancel. `onEstimate` (optional) hears
// the memory that reading a file or split folder is estimated to take, before it is read (the
// read is refused when that exceeds the machine's memory). Throws core::Error.
std::shared_ptr<const DataState> buildDataState(
    const DataSource& source, std::shared_ptr<const core::Dataset> raw = nullptr,
    const std::function<bool(std::uint64_t, std::uint64_t)>& progress = {},
    const std::function<void(const core::MemoryEstimate&)>& onEstimate = {});

// Diverged: training stopped on a NaN or infinite loss or weights; the best weights are kept
// and Run::error says why.
enum class RunState { Ready, Running, Paused, Finished, Stopped, Failed, Diverged };
QString runStateName(RunState state);

// One point per training batch.
struct BatchPoint {
    std::int64_t update = 0;   // optimizer steps after this batch
    int epoch = 0;             // 1-based
    double epochProgress = 0;  // epoch - 1 + fraction of the epoch done: x axis in epochs
    double seconds = 0;        // wall time since the run started training
    core::LossTerms terms;
};

// One point per finished epoch.
struct EpochPoint {
    core::EpochReport report;
    double seconds = 0;        // wall time since the run started training, at the epoch's end
};

// A training run: its settings, live history, snapshots of its weights and results.
struct Run {
    int id = 0;
    QString name;
    std::string modelId;
    core::Config config;              // validated hyperparameters
    core::TrainOptions options;       // epochs, seed, threads, patience
    RunState state = RunState::Ready;
    QString error;                    // Failed / Diverged: why
    QColor colour;
    QDateTime created;
    std::string fingerprint;          // Split::fingerprintHex() it was trained on

    std::vector<BatchPoint> batches;
    std::vector<EpochPoint> epochs;
    int totalEpochs = 0;
    int bestEpoch = 0;                // 0: none yet
    std::optional<core::MetricReport> test;  // test metrics of the best weights, when finished

    // Frozen copies, safe to use from any thread: best-validation weights, and the weights at
    // the last epoch end or pause.
    std::shared_ptr<const core::Model> bestModel;
    std::shared_ptr<const core::Model> latestModel;
    QString modelPath;                // where the best model was saved (projects), or empty

    // The model to inspect (recommendations, latent map): best, else latest.
    std::shared_ptr<const core::Model> inspectModel() const {
        return bestModel ? bestModel : latestModel;
    }
    double secondsPerEpoch() const;   // mean training seconds per finished epoch (0: none)
    // Validation metric at the best epoch / at the last epoch (NaN when missing).
    double bestMetric(const std::string& name) const;
    double finalMetric(const std::string& name) const;
    QString modelName() const;        // "Mult-VAE"
    QString configSummary() const;    // "K=200 β≤0.2 …" compact hyperparameter text
};

// Messages for the log panel.
enum class Severity { Info, Warning, Error };

// The pool that runs the app's background jobs (loading, metrics, encodings, projections).
// Not QThreadPool::globalInstance(): Qt's raster painting hands work to that pool and waits
// for it, so long jobs there would freeze the window.
QThreadPool* jobPool();

class Project : public QObject {
    Q_OBJECT
public:
    explicit Project(QObject* parent = nullptr);
    ~Project() override;

    // Data.
    std::shared_ptr<const DataState> data() const { return m_data; }
    bool hasData() const { return m_data != nullptr; }
    // Replaces the data. Runs trained on another split stay listed but cannot be inspected
    // on this data (Run::fingerprint differs); the caller decides whether to clear them.
    void setData(std::shared_ptr<const DataState> data);

    // Runs, in creation order.
    const std::vector<std::shared_ptr<Run>>& runs() const { return m_runs; }
    Run* run(int id) const;           // null when unknown
    // Adds a run (assigns id, colour, created, fingerprint) and returns it.
    Run* addRun(std::shared_ptr<Run> run);
    void removeRun(int id);
    void renameRun(int id, const QString& name);
    void clearRuns();
    // Tells listeners that a run's fields changed (state, metrics, snapshots).
    void notifyRunChanged(int id);
    // A run whose model matches the current data's split (same fingerprint).
    bool runMatchesData(const Run& run) const;

    // The run that Recommendations and Latent map inspect (-1: none).
    int currentRunId() const { return m_currentRun; }
    Run* currentRun() const { return run(m_currentRun); }
    void setCurrentRun(int id);
    // Runs whose curves are overlaid in the Runs chart.
    const std::vector<int>& overlaidRuns() const { return m_overlaid; }
    void setOverlaidRuns(std::vector<int> ids);

    // Cross-panel selection: a user picked on the latent map shows in Recommendations.
    UserRef selectedUser() const { return m_selectedUser; }
    void selectUser(UserRef user);

    // The log panel's feed (any panel may write to it).
    void log(Severity severity, const QString& message);

    // The colour-blind-safe categorical palette used everywhere (Okabe–Ito plus extensions).
    static QColor paletteColour(int index);

Q_SIGNALS:
    void dataChanged();
    void runAdded(int id);
    void runRemoved(int id);
    void runChanged(int id);
    void currentRunChanged(int id);
    void overlaidRunsChanged();
    void userSelected(vaecf::ui::UserRef user);
    void logged(vaecf::ui::Severity severity, const QString& message, const QDateTime& when);

private:
    std::shared_ptr<const DataState> m_data;
    std::vector<std::shared_ptr<Run>> m_runs;
    int m_nextId = 1;
    int m_currentRun = -1;
    std::vector<int> m_overlaid;
    UserRef m_selectedUser;
};

}  // namespace vaecf::ui

Q_DECLARE_METATYPE(vaecf::ui::UserRef)
Q_DECLARE_METATYPE(vaecf::ui::Severity)
