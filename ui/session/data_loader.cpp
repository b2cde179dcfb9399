// SPDX-License-Identifier: MIT
#include "session/data_loader.h"

#include <chrono>

#include <QMetaObject>
#include <QtConcurrent/QtConcurrentRun>

#include "vaecf/error.h"

namespace vaecf::ui {

namespace {

// The readers fail with "<path>: cancelled" when the progress callback refuses; the flag is
// the reliable signal, the message only a fallback.
bool isCancelMessage(const std::string& message) {
    return message == "cancelled" || message.ends_with(": cancelled");
}

}  // namespace

DataLoader::DataLoader(QObject* parent) : QObject(parent) {
    qRegisterMetaType<std::shared_ptr<const vaecf::ui::DataState>>();
}

DataLoader::~DataLoader() {
    if (m_cancel) m_cancel->store(true);
    waitForIdle();
}

void DataLoader::waitForIdle() {
    for (auto& f : m_futures) f.waitForFinished();
    m_futures.clear();
}

void DataLoader::load(const DataSource& source, std::shared_ptr<const core::Dataset> raw) {
    if (m_cancel) m_cancel->store(true);  // the stale job stops at its next progress report
    m_futures.removeIf([](const QFuture<void>& f) { return f.isFinished(); });
    const quint64 job = ++m_job;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_cancel = cancel;
    m_busy = true;
    Q_EMIT started();
    m_futures << QtConcurrent::run(jobPool(), [this, job, source, raw, cancel] {
        using Clock = std::chrono::steady_clock;
        auto last = Clock::now() - std::chrono::seconds(1);
        auto report = [&](std::uint64_t done, std::uint64_t total) {
            if (cancel->load()) return false;
            // Throttled: the readers may report far more often than a bar can repaint.
            const auto now = Clock::now();
            if (now - last >= std::chrono::milliseconds(50) || done == total) {
                last = now;
                QMetaObject::invokeMethod(
                    this,
                    [this, job, done, total] {
                        if (job == m_job && m_busy)
                            Q_EMIT progress(static_cast<qint64>(done), static_cast<qint64>(total));
                    },
                    Qt::QueuedConnection);
            }
            return true;
        };
        auto onEstimate = [&](const core::MemoryEstimate& e) {
            const double bytes = e.bytes;
            const QString summary = QString::fromStdString(e.describe());
            QMetaObject::invokeMethod(
                this,
                [this, job, bytes, summary] {
                    if (job == m_job && m_busy) Q_EMIT estimated(bytes, summary);
                },
                Qt::QueuedConnection);
        };
        std::shared_ptr<const DataState> state;
        QString error;
        bool wasCancelled = false;
        if (cancel->load()) {
            wasCancelled = true;
        } else {
            try {
                state = buildDataState(source, raw, report, onEstimate);
            } catch (const std::exception& e) {
                wasCancelled = cancel->load() || isCancelMessage(e.what());
                if (!wasCancelled) error = QString::fromUtf8(e.what());
            } catch (...) {
                error = tr("unexpected failure while loading the data");
            }
        }
        if (cancel->load()) {
            wasCancelled = true;
            state.reset();
        }
        QMetaObject::invokeMethod(
            this,
            [this, job, state, error, wasCancelled] { deliver(job, state, error, wasCancelled); },
            Qt::QueuedConnection);
    });
}

void DataLoader::cancel() {
    if (!m_busy) return;
    if (m_cancel) m_cancel->store(true);
    ++m_job;  // whatever the worker still sends is stale now
    m_busy = false;
    Q_EMIT cancelled();
}

void DataLoader::deliver(quint64 job, std::shared_ptr<const DataState> state,
                         const QString& error, bool wasCancelled) {
    if (job != m_job) return;  // superseded or cancelled already
    m_busy = false;
    if (wasCancelled) Q_EMIT cancelled();
    else if (state) Q_EMIT finished(std::move(state));
    else Q_EMIT failed(error);
}

}  // namespace vaecf::ui
