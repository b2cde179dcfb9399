// SPDX-License-Identifier: MIT
// Trains one run at a time on a worker thread, with play, pause, step one epoch, stop and
// reset. Batches are reported to the GUI thread in throttled bunches (about 15 per second);
// epochs, snapshots of the weights and failures arrive as queued signals. No exception and no
// oneTBB type crosses this header.
//
// Pause and stop take effect after the batch in progress (a stop drops the partial epoch: the
// weights return to the last epoch end). A loss or weights that turn NaN or infinite end the
// run at once with the state RunState::Diverged, the reason in Run::error and the log, and
// the best weights kept (core::Trainer's divergence guard).
#pragma once

#include <memory>

#include <QObject>
#include <QString>

#include "session/project.h"

namespace vaecf::ui {

// What a new run is made of (the Model panel produces it).
struct RunSetup {
    std::string modelId = "mult-vae";
    core::Config config = core::Config::object();
    core::TrainOptions options;
    QString name;  // empty: made from the model and its main hyperparameters
    QString error; // non-empty: the settings are invalid (the form says why); prepare refuses
};

class TrainingSession : public QObject {
    Q_OBJECT
public:
    enum class State {
        Idle,      // no run prepared
        Ready,     // a run is prepared (initialized, epoch 0) and waits for play or step
        Running,
        Paused,    // between batches or epochs; the latest weights are inspectable
        Finished,  // all epochs done, stopped early, or stopped by the user
        Failed,
    };
    Q_ENUM(State)

    explicit TrainingSession(Project* project, QObject* parent = nullptr);
    ~TrainingSession() override;  // stops and joins the worker

    State state() const { return m_state; }
    int runId() const { return m_runId; }  // the run being trained (-1: none)
    static QString stateName(State state);

    // Where play() gets its settings when no run is prepared (the Model panel).
    void setSetupProvider(std::function<RunSetup()> provider);
    // Called on the training thread right after every batch, before a pause or stop request
    // is looked at (tests count the batches that run after a request). Set before prepare().
    void setBatchObserver(std::function<void(int epoch, qint64 batch)> observer);

    // Creates a run in the project for the current data and initializes it (state Ready).
    // Returns its id, or -1 (and logs why) when it cannot be made.
    int prepare(const RunSetup& setup);

    // Stops training within one batch and waits for the worker to end (for closing the
    // window); a run it was training is marked stopped. Safe to call at any time.
    void shutdown();

public Q_SLOTS:
    void play();    // Idle/Finished/Failed: prepare from the provider, then run; Ready/Paused: run
    void pause();   // takes effect after the current batch
    void step();    // run one epoch, then pause (prepares first when Idle)
    void stop();    // ends the run after the current batch; a partial epoch is dropped
    void reset();   // same run settings and seed: history cleared, weights re-initialized

Q_SIGNALS:
    void stateChanged(vaecf::ui::TrainingSession::State state);
    // Run `runId` gained batch points [first, first + count) (throttled, GUI thread).
    void batchesAdded(int runId, int first, int count);
    void epochFinished(int runId, int epoch);
    // epoch is 1-based (the one in progress), batch 0-based within it.
    void progressChanged(int runId, int epoch, int totalEpochs, qint64 batch, qint64 batches);
    void runFinished(int runId);
    void failed(int runId, const QString& message);
    // The run ended because training diverged (before runFinished); `reason` is Run::error.
    void diverged(int runId, const QString& reason);

private:
    struct Worker;
    void setState(State s);
    void drainBatches();
    // Lets the worker train (preparing a run from the provider first when none is live).
    void go(bool stepOnly);
    // Joins the worker (if any); a run it left Ready, Running or Paused is marked Stopped.
    void stopWorker();
    // Starts a worker that initializes run `runId` with `setup` on `data` (state Ready).
    void launchWorker(int runId, std::shared_ptr<const DataState> data, const RunSetup& setup);

    Project* m_project;
    State m_state = State::Idle;
    int m_runId = -1;
    std::function<RunSetup()> m_provider;
    std::function<void(int, qint64)> m_batchObserver;
    std::unique_ptr<Worker> m_worker;
};

}  // namespace vaecf::ui
