// SPDX-License-Identifier: MIT
// The Training tab: play / pause / step / stop / reset for the training session, a progress
// line, and live charts of the run being trained (or, when nothing is being trained, of the
// project's current run): loss terms per batch with per-epoch means, the β schedule, and the
// validation metrics per epoch with the best epoch marked.
#pragma once

#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

class QAction;
class QComboBox;
class QCheckBox;
class QLabel;
class QProgressBar;
class QSlider;
class QToolBar;

namespace vaecf::ui {

class CurvePlot;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    enum class XAxis { Epoch, Step, Time };
    Q_ENUM(XAxis)

    explicit TrainingPanel(Project* project, TrainingSession* session, QWidget* parent = nullptr);
    ~TrainingPanel() override;

    // The charts (loss terms, β schedule, validation metrics).
    CurvePlot* lossPlot() const { return m_lossPlot; }
    CurvePlot* betaPlot() const { return m_betaPlot; }
    CurvePlot* metricPlot() const { return m_metricPlot; }
    // Series names used in the charts (tests, main window).
    static QString lossSeries();      // negative ELBO per batch
    static QString reconSeries();
    static QString klSeries();
    static QString betaKlSeries();
    static QString meanSuffix();      // appended to a per-batch name for the epoch means
    static QString betaSeries();
    static QString ndcgSeries();
    static QString recall20Series();
    static QString recall50Series();

    // The actions (with their shortcuts) for a main-window menu.
    QAction* playAction() const { return m_play; }
    QAction* pauseAction() const { return m_pause; }
    QAction* stepAction() const { return m_step; }
    QAction* stopAction() const { return m_stop; }
    QAction* resetAction() const { return m_reset; }
    QAction* playPauseAction() const { return m_playPause; }  // Space

    int displayedRunId() const { return m_runId; }
    XAxis xAxis() const { return m_xAxis; }
    void setXAxis(XAxis axis);
    void setLogY(bool on);
    void setSmoothing(double weight);
    QString progressText() const;

private:
    void updateActions();
    void chooseRun();
    void clearPlots();
    void rebuild();
    void sync();
    void updateProgress(int epoch, int totalEpochs, qint64 batch, qint64 batches);
    void updateIdleProgress();
    double batchX(const BatchPoint& b) const;
    double epochX(const EpochPoint& e) const;
    void appendBatches(const Run& run, std::size_t from);
    void appendEpochs(const Run& run, std::size_t from);
    void updateBestMarker(const Run& run);

    Project* m_project;
    TrainingSession* m_session;
    int m_runId = -1;
    std::size_t m_batchesShown = 0;
    std::size_t m_epochsShown = 0;
    XAxis m_xAxis = XAxis::Epoch;

    QToolBar* m_toolbar = nullptr;
    QAction* m_play = nullptr;
    QAction* m_pause = nullptr;
    QAction* m_step = nullptr;
    QAction* m_stop = nullptr;
    QAction* m_reset = nullptr;
    QAction* m_playPause = nullptr;
    QComboBox* m_xCombo = nullptr;
    QCheckBox* m_logCheck = nullptr;
    QSlider* m_smoothSlider = nullptr;
    QLabel* m_smoothValue = nullptr;
    QLabel* m_runLabel = nullptr;
    QLabel* m_progressLabel = nullptr;
    QProgressBar* m_progressBar = nullptr;
    CurvePlot* m_lossPlot = nullptr;
    CurvePlot* m_betaPlot = nullptr;
    CurvePlot* m_metricPlot = nullptr;
};

}  // namespace vaecf::ui
