// SPDX-License-Identifier: MIT
// Builds DataStates off the GUI thread. One loader runs one job at a time from the caller's
// point of view: a newer request cancels the stale one, whose late result is dropped. Results
// come back on the loader's thread as queued signals; no exception crosses this header.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <QFuture>
#include <QList>
#include <QObject>
#include <QString>

#include "session/project.h"

namespace vaecf::ui {

class DataLoader : public QObject {
    Q_OBJECT
public:
    explicit DataLoader(QObject* parent = nullptr);
    ~DataLoader() override;  // cancels and waits for the worker

    // Starts building the state for `source`. `raw` skips reading when only the preprocessing
    // or split options differ from the state it came from.
    void load(const DataSource& source, std::shared_ptr<const core::Dataset> raw = nullptr);
    // Cancels the current job (reading stops at its next progress report); emits cancelled().
    void cancel();
    bool isBusy() const { return m_busy; }
    // Blocks until every worker has returned (tests and shutdown).
    void waitForIdle();

Q_SIGNALS:
    void started();
    void progress(qint64 done, qint64 total);  // bytes; total 0 when unknown
    // Before a file or split folder is read: the memory it is estimated to take (bytes) and
    // that in words ("about 1.2 GB of memory (this machine has 16.0 GB)").
    void estimated(double bytes, const QString& summary);
    void finished(std::shared_ptr<const vaecf::ui::DataState> state);
    void failed(const QString& message);
    void cancelled();

private:
    void deliver(quint64 job, std::shared_ptr<const DataState> state, const QString& error,
                 bool wasCancelled);

    quint64 m_job = 0;  // id of the job whose result counts
    bool m_busy = false;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QList<QFuture<void>> m_futures;
};

}  // namespace vaecf::ui

Q_DECLARE_METATYPE(std::shared_ptr<const vaecf::ui::DataState>)
