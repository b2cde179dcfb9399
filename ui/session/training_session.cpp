// SPDX-License-Identifier: MIT
#include "session/training_session.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <QMetaObject>
#include <QPointer>
#include <QTimer>

#include "vaecf/error.h"

namespace vaecf::ui {

namespace {
std::atomic<int> g_generation{0};
}

// The training thread. It owns the Trainer; the GUI thread talks to it through the flags
// below (under m) and hears back through queued calls tagged with the worker's generation,
// so a reply from a worker that was reset away is ignored.
struct TrainingSession::Worker {
    TrainingSession* owner = nullptr;
    int generation = 0;
    int runId = -1;
    std::shared_ptr<const DataState> data;
    RunSetup setup;
    std::function<void(int, qint64)> observer;

    std::mutex m;
    std::condition_variable cv;
    bool go = false;          // run epochs
    bool stepOnly = false;    // pause again after the current epoch
    bool pauseWanted = false; // pause after the current batch
    bool quit = false;
    std::stop_source stopSource;

    std::mutex pendingMutex;
    std::vector<BatchPoint> pending;
    std::atomic<int> epochNow{0};
    std::atomic<qint64> batchNow{0}, batchesPerEpoch{0};

    std::chrono::steady_clock::time_point started;
    double secondsBefore = 0;  // training seconds before the last resume (pauses excluded)
    bool clockRunning = false;

    std::thread thread;

    double elapsed() const {
        const double now = clockRunning
            ? std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
            : 0;
        return secondsBefore + now;
    }
    void startClock() {
        if (clockRunning) return;
        started = std::chrono::steady_clock::now();
        clockRunning = true;
    }
    void stopClock() {
        if (!clockRunning) return;
        secondsBefore = elapsed();
        clockRunning = false;
    }

    template <class F>
    void post(F&& f) {
        const int gen = generation;
        TrainingSession* o = owner;
        QMetaObject::invokeMethod(
            o, [o, gen, f = std::forward<F>(f)]() mutable {
                if (o->m_worker && o->m_worker->generation == gen) f(o);
            },
            Qt::QueuedConnection);
    }

    void main();
    // Blocks until play/step (true) or quit/stop (false).
    bool waitForGo() {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return go || quit || stopSource.stop_requested(); });
        return go && !quit && !stopSource.stop_requested();
    }

    void request(bool run, bool step) {
        {
            std::lock_guard lock(m);
            go = run;
            stepOnly = step;
            pauseWanted = false;
        }
        cv.notify_all();
    }
    void requestPause() {
        {
            std::lock_guard lock(m);
            pauseWanted = true;
            stepOnly = false;
        }
        cv.notify_all();
    }
    void requestStop(bool andQuit) {
        {
            std::lock_guard lock(m);
            if (andQuit) quit = true;
            go = false;
        }
        stopSource.request_stop();
        cv.notify_all();
    }
};

void TrainingSession::Worker::main() {
    std::unique_ptr<core::Trainer> trainer;
    try {
        trainer = std::make_unique<core::Trainer>(
            data->split, core::createModel(setup.modelId, setup.config), setup.options);
    } catch (const std::exception& e) {
        const QString msg = QString::fromUtf8(e.what());
        post([msg, id = runId](TrainingSession* s) {
            if (Run* r = s->m_project->run(id)) {
                r->state = RunState::Failed;
                r->error = msg;
                s->m_project->notifyRunChanged(id);
            }
            s->m_project->log(Severity::Error, QObject::tr("Run %1 cannot start: %2").arg(id).arg(msg));
            s->setState(State::Failed);
            Q_EMIT s->failed(id, msg);
        });
        return;
    }
    const int total = trainer->totalEpochs();
    std::shared_ptr<const core::Model> initial = core::cloneModel(trainer->model());
    post([total, initial, id = runId](TrainingSession* s) {
        if (Run* r = s->m_project->run(id)) {
            r->totalEpochs = total;
            r->latestModel = initial;
            s->m_project->notifyRunChanged(id);
        }
    });

    const auto onBatch = [&](const core::BatchProgress& p) {
        BatchPoint bp;
        bp.update = p.updates;
        bp.epoch = p.epoch;
        bp.epochProgress = (p.epoch - 1) + static_cast<double>(p.batch + 1) /
                                                static_cast<double>(std::max<std::int64_t>(1, p.batches));
        bp.seconds = elapsed();
        bp.terms = p.terms;
        {
            std::lock_guard lock(pendingMutex);
            pending.push_back(bp);
        }
        epochNow = p.epoch;
        batchNow = p.batch + 1;
        batchesPerEpoch = p.batches;
        if (observer) observer(p.epoch, p.batch);
        std::unique_lock lock(m);
        if (!pauseWanted || stopSource.stop_requested() || quit) return;
        // Pause between batches: hand out a copy of the weights as they are, then wait.
        lock.unlock();
        stopClock();
        std::shared_ptr<const core::Model> snap = core::cloneModel(trainer->model());
        post([snap, id = runId](TrainingSession* s) {
            s->drainBatches();
            if (Run* r = s->m_project->run(id)) {
                r->latestModel = snap;
                r->state = RunState::Paused;
                s->m_project->notifyRunChanged(id);
            }
            s->setState(State::Paused);
        });
        lock.lock();
        cv.wait(lock, [&] { return !pauseWanted || quit || stopSource.stop_requested(); });
        const bool resumed = !quit && !stopSource.stop_requested();
        lock.unlock();
        if (resumed) {
            startClock();
            post([id = runId](TrainingSession* s) {
                if (Run* r = s->m_project->run(id)) {
                    r->state = RunState::Running;
                    s->m_project->notifyRunChanged(id);
                }
                s->setState(State::Running);
            });
        }
    };

    try {
        while (!trainer->done()) {
            if (!waitForGo()) break;
            startClock();
            post([id = runId](TrainingSession* s) {
                if (Run* r = s->m_project->run(id)) {
                    r->state = RunState::Running;
                    s->m_project->notifyRunChanged(id);
                }
                s->setState(State::Running);
            });
            bool pauseAfter = false;
            while (!trainer->done()) {
                core::EpochReport rep = trainer->runEpoch(stopSource.get_token(), onBatch);
                if (rep.stopped || rep.diverged) break;
                EpochPoint ep{rep, elapsed()};
                std::shared_ptr<const core::Model> latest = core::cloneModel(trainer->model());
                std::shared_ptr<const core::Model> best = rep.improved ? latest : nullptr;
                const int bestEpoch = trainer->bestEpoch();
                post([ep, latest, best, bestEpoch, id = runId](TrainingSession* s) {
                    s->drainBatches();
                    if (Run* r = s->m_project->run(id)) {
                        r->epochs.push_back(ep);
                        r->latestModel = latest;
                        if (best) r->bestModel = best;
                        r->bestEpoch = bestEpoch;
                        s->m_project->notifyRunChanged(id);
                    }
                    Q_EMIT s->epochFinished(id, ep.report.epoch);
                });
                std::lock_guard lock(m);
                if (stepOnly || pauseWanted || !go) {
                    go = false;
                    stepOnly = false;
                    pauseWanted = false;
                    pauseAfter = true;
                    break;
                }
            }
            stopClock();
            if (stopSource.stop_requested() || quit) break;
            if (pauseAfter && !trainer->done()) {
                post([id = runId](TrainingSession* s) {
                    if (Run* r = s->m_project->run(id)) {
                        r->state = RunState::Paused;
                        s->m_project->notifyRunChanged(id);
                    }
                    s->setState(State::Paused);
                });
            }
        }
        stopClock();
        if (quit) return;
        // Finished (all epochs, early stop, divergence, or the user's stop): test metrics of
        // the best weights (after a divergence the trainer has already put them back).
        const bool diverged = trainer->diverged();
        const bool userStopped = !diverged && stopSource.stop_requested() && !trainer->done();
        const QString reason = QString::fromStdString(trainer->divergence());
        const bool trained = trainer->epochsRun() > 0 || diverged;
        std::optional<core::MetricReport> test;
        if (data->split.test.foldIn.rows > 0 && trained) {
            trainer->restoreBest();
            test = trainer->evaluate(data->split.test);
        }
        std::shared_ptr<const core::Model> finalModel =
            trained ? std::shared_ptr<const core::Model>(core::cloneModel(trainer->model())) : nullptr;
        post([test, finalModel, userStopped, diverged, reason, id = runId](TrainingSession* s) {
            s->drainBatches();
            if (Run* r = s->m_project->run(id)) {
                r->test = test;
                if (finalModel && !r->bestModel) r->bestModel = finalModel;
                // A pause in the diverged epoch may have left non-finite weights there.
                if (diverged) r->latestModel = finalModel;
                r->state = diverged ? RunState::Diverged : userStopped ? RunState::Stopped : RunState::Finished;
                r->error = reason;
                s->m_project->notifyRunChanged(id);
            }
            if (diverged)
                s->m_project->log(Severity::Warning, QObject::tr("Run %1 diverged: %2").arg(id).arg(reason));
            s->setState(State::Finished);
            if (diverged) Q_EMIT s->diverged(id, reason);
            Q_EMIT s->runFinished(id);
        });
    } catch (const std::exception& e) {
        const QString msg = QString::fromUtf8(e.what());
        post([msg, id = runId](TrainingSession* s) {
            s->drainBatches();
            if (Run* r = s->m_project->run(id)) {
                r->state = RunState::Failed;
                r->error = msg;
                s->m_project->notifyRunChanged(id);
            }
            s->m_project->log(Severity::Error, QObject::tr("Run %1 failed: %2").arg(id).arg(msg));
            s->setState(State::Failed);
            Q_EMIT s->failed(id, msg);
        });
    }
}

TrainingSession::TrainingSession(Project* project, QObject* parent)
    : QObject(parent), m_project(project) {
    auto* timer = new QTimer(this);
    timer->setInterval(66);  // ~15 chart updates per second at most
    connect(timer, &QTimer::timeout, this, &TrainingSession::drainBatches);
    timer->start();
    connect(m_project, &Project::runRemoved, this, [this](int id) {
        if (id != m_runId) return;
        stopWorker();
        m_runId = -1;
        setState(State::Idle);
    });
    connect(m_project, &Project::dataChanged, this, [this] {
        // A run belongs to its split: leave it when the data changes.
        if (m_worker && m_worker->data != m_project->data()) {
            stopWorker();
            m_runId = -1;
            setState(State::Idle);
        }
    });
}

TrainingSession::~TrainingSession() {
    if (m_worker) {
        m_worker->requestStop(true);
        if (m_worker->thread.joinable()) m_worker->thread.join();
    }
}

void TrainingSession::shutdown() {
    if (!m_worker) return;
    m_worker->requestStop(true);
    if (m_worker->thread.joinable()) m_worker->thread.join();
    drainBatches();  // the batches trained before the stop
    stopWorker();
    if (m_state == State::Running || m_state == State::Paused || m_state == State::Ready)
        setState(State::Finished);
}

void TrainingSession::stopWorker() {
    if (!m_worker) return;
    m_worker->requestStop(true);
    if (m_worker->thread.joinable()) m_worker->thread.join();
    m_worker.reset();
    Run* r = m_project->run(m_runId);
    if (r && (r->state == RunState::Running || r->state == RunState::Paused || r->state == RunState::Ready)) {
        r->state = RunState::Stopped;
        m_project->notifyRunChanged(r->id);
    }
}

void TrainingSession::launchWorker(int runId, std::shared_ptr<const DataState> data, const RunSetup& setup) {
    m_worker = std::make_unique<Worker>();
    m_worker->owner = this;
    m_worker->generation = ++g_generation;
    m_worker->runId = runId;
    m_worker->data = std::move(data);
    m_worker->setup = setup;
    m_worker->observer = m_batchObserver;
    Worker* w = m_worker.get();
    w->thread = std::thread([w] { w->main(); });
    setState(State::Ready);
}

QString TrainingSession::stateName(State state) {
    switch (state) {
    case State::Idle: return tr("idle");
    case State::Ready: return tr("ready");
    case State::Running: return tr("training");
    case State::Paused: return tr("paused");
    case State::Finished: return tr("finished");
    case State::Failed: return tr("failed");
    }
    return {};
}

void TrainingSession::setSetupProvider(std::function<RunSetup()> provider) {
    m_provider = std::move(provider);
}

void TrainingSession::setBatchObserver(std::function<void(int, qint64)> observer) {
    m_batchObserver = std::move(observer);
}

void TrainingSession::setState(State s) {
    if (m_state == s) return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void TrainingSession::drainBatches() {
    if (!m_worker) return;
    std::vector<BatchPoint> got;
    {
        std::lock_guard lock(m_worker->pendingMutex);
        got.swap(m_worker->pending);
    }
    Run* r = m_project->run(m_runId);
    if (!r) return;
    if (!got.empty()) {
        const int first = static_cast<int>(r->batches.size());
        r->batches.insert(r->batches.end(), got.begin(), got.end());
        Q_EMIT batchesAdded(m_runId, first, static_cast<int>(got.size()));
    }
    if (m_state == State::Running)
        Q_EMIT progressChanged(m_runId, m_worker->epochNow.load(), r->totalEpochs,
                               m_worker->batchNow.load(), m_worker->batchesPerEpoch.load());
}

int TrainingSession::prepare(const RunSetup& setup) {
    auto data = m_project->data();
    if (!data) {
        m_project->log(Severity::Error, tr("No data loaded: open a dataset or the demo first."));
        return -1;
    }
    if (!setup.error.isEmpty()) {
        m_project->log(Severity::Error, tr("Cannot start a run: %1").arg(setup.error));
        return -1;
    }
    auto run = std::make_shared<Run>();
    run->modelId = setup.modelId;
    run->options = setup.options;
    run->name = setup.name;
    try {
        const core::ModelInfo& info = core::modelInfo(setup.modelId);
        run->config = core::validateConfig(info.params, setup.config, info.id);
        setup.options.check();
    } catch (const std::exception& e) {
        m_project->log(Severity::Error, tr("Cannot start a run: %1").arg(QString::fromUtf8(e.what())));
        return -1;
    }
    // Leave the previous run: a finished one stays as it is; a live one is stopped.
    stopWorker();
    Run* r = m_project->addRun(run);
    m_runId = r->id;
    r->totalEpochs = setup.options.epochs;
    RunSetup effective = setup;
    effective.config = r->config;
    // Training takes every core; lowering its threads' priority keeps the window (and Qt's
    // own drawing threads) responsive without slowing training when the GUI is idle.
    if (effective.options.niceness == 0) effective.options.niceness = 10;
    m_project->setCurrentRun(r->id);
    m_project->log(Severity::Info, tr("Prepared %1: %2 on %3 (seed %4)")
                                       .arg(r->name, r->configSummary(), data->title())
                                       .arg(setup.options.seed));
    launchWorker(r->id, data, effective);
    return r->id;
}

void TrainingSession::go(bool stepOnly) {
    if (!m_worker || m_state == State::Finished || m_state == State::Failed || m_state == State::Idle) {
        if (!m_provider) {
            m_project->log(Severity::Error, tr("Nothing to train: no run is prepared."));
            return;
        }
        if (prepare(m_provider()) < 0) return;
    }
    m_worker->request(true, stepOnly);
}

void TrainingSession::play() {
    if (m_state == State::Running) return;
    go(false);
}

void TrainingSession::step() {
    if (m_state == State::Running) return;
    go(true);
}

void TrainingSession::pause() {
    if (m_worker && m_state == State::Running) m_worker->requestPause();
}

void TrainingSession::stop() {
    if (!m_worker || m_state == State::Finished || m_state == State::Failed || m_state == State::Idle)
        return;
    m_worker->requestStop(false);  // a Ready run ends empty
}

void TrainingSession::reset() {
    Run* r = m_project->run(m_runId);
    if (!r || !m_worker) return;
    const RunSetup setup = m_worker->setup;
    std::shared_ptr<const DataState> data = m_worker->data;
    m_worker->requestStop(true);
    if (m_worker->thread.joinable()) m_worker->thread.join();
    m_worker.reset();
    r->batches.clear();
    r->epochs.clear();
    r->bestEpoch = 0;
    r->test.reset();
    r->bestModel.reset();
    r->latestModel.reset();
    r->state = RunState::Ready;
    r->error.clear();
    r->created = QDateTime::currentDateTime();
    m_project->notifyRunChanged(r->id);
    m_project->log(Severity::Info, tr("Reset %1: same settings, same seed %2").arg(r->name).arg(setup.options.seed));
    launchWorker(r->id, std::move(data), setup);
}

}  // namespace vaecf::ui
