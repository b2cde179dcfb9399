// SPDX-License-Identifier: MIT
#include "widgets/training_panel.h"

#include <cmath>

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QSlider>
#include <QSplitter>
#include <QStyle>
#include <QToolBar>
#include <QVBoxLayout>

#include "charts/curve_plot.h"

namespace vaecf::ui {

namespace {

QString duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("—");
    const auto s = static_cast<qint64>(std::llround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

double metricValue(const core::MetricReport& r, const char* name) {
    const auto it = r.mean.find(name);
    return it == r.mean.end() ? std::nan("") : it->second;
}

}  // namespace

QString TrainingPanel::lossSeries() { return tr("loss (−ELBO)"); }
QString TrainingPanel::reconSeries() { return tr("reconstruction"); }
QString TrainingPanel::klSeries() { return tr("KL"); }
QString TrainingPanel::betaKlSeries() { return tr("β·KL"); }
QString TrainingPanel::meanSuffix() { return tr(" (epoch mean)"); }
QString TrainingPanel::betaSeries() { return tr("β"); }
QString TrainingPanel::ndcgSeries() { return tr("NDCG@100"); }
QString TrainingPanel::recall20Series() { return tr("Recall@20"); }
QString TrainingPanel::recall50Series() { return tr("Recall@50"); }

TrainingPanel::TrainingPanel(Project* project, TrainingSession* session, QWidget* parent)
    : QWidget(parent), m_project(project), m_session(session) {
    setObjectName(QStringLiteral("trainingPanel"));

    m_toolbar = new QToolBar(this);
    m_toolbar->setObjectName(QStringLiteral("trainingToolbar"));
    m_toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    auto makeAction = [this](const QString& name, QStyle::StandardPixmap icon, const QString& text,
                             const QString& tip, const QList<QKeySequence>& keys) {
        auto* a = new QAction(style()->standardIcon(icon), text, this);
        a->setObjectName(name);
        a->setShortcuts(keys);
        // Window-wide: the main window also lists these actions in its Train menu, so the keys
        // work from any view (text fields keep their own keys).
        a->setShortcutContext(Qt::WindowShortcut);
        a->setToolTip(tip);
        addAction(a);
        return a;
    };
    m_play = makeAction(QStringLiteral("playAction"), QStyle::SP_MediaPlay, tr("Play"),
                        tr("Train (Space); without a prepared run, starts one from the Model panel"), {});
    m_pause = makeAction(QStringLiteral("pauseAction"), QStyle::SP_MediaPause, tr("Pause"),
                         tr("Pause after the current batch (Space)"), {});
    m_step = makeAction(QStringLiteral("stepAction"), QStyle::SP_MediaSkipForward, tr("Step epoch"),
                        tr("Train one epoch, then pause (Ctrl+Right, F10)"),
                        {QKeySequence(Qt::CTRL | Qt::Key_Right), QKeySequence(Qt::Key_F10)});
    m_stop = makeAction(QStringLiteral("stopAction"), QStyle::SP_MediaStop, tr("Stop"),
                        tr("End the run after the current batch and evaluate the best weights (Ctrl+.)"),
                        {QKeySequence(Qt::CTRL | Qt::Key_Period)});
    m_reset = makeAction(QStringLiteral("resetAction"), QStyle::SP_BrowserReload, tr("Reset"),
                         tr("Start this run over: same settings and seed, history cleared (Ctrl+R)"),
                         {QKeySequence(Qt::CTRL | Qt::Key_R)});
    m_playPause = makeAction(QStringLiteral("playPauseAction"), QStyle::SP_MediaPlay, tr("Play/Pause"),
                             tr("Play or pause (Space)"), {QKeySequence(Qt::Key_Space)});
    for (QAction* a : {m_play, m_pause, m_step, m_stop, m_reset}) {
        m_toolbar->addAction(a);
        if (QWidget* w = m_toolbar->widgetForAction(a))
            w->setObjectName(a->objectName().replace(QStringLiteral("Action"), QStringLiteral("Button")));
    }
    connect(m_play, &QAction::triggered, m_session, &TrainingSession::play);
    connect(m_pause, &QAction::triggered, m_session, &TrainingSession::pause);
    connect(m_step, &QAction::triggered, m_session, &TrainingSession::step);
    connect(m_stop, &QAction::triggered, m_session, &TrainingSession::stop);
    connect(m_reset, &QAction::triggered, m_session, &TrainingSession::reset);
    connect(m_playPause, &QAction::triggered, this, [this] {
        if (m_session->state() == TrainingSession::State::Running) m_session->pause();
        else if (m_play->isEnabled()) m_session->play();
    });

    m_xCombo = new QComboBox(this);
    m_xCombo->setObjectName(QStringLiteral("xAxisCombo"));
    m_xCombo->addItem(tr("Epoch"), QVariant::fromValue(static_cast<int>(XAxis::Epoch)));
    m_xCombo->addItem(tr("Optimizer step"), QVariant::fromValue(static_cast<int>(XAxis::Step)));
    m_xCombo->addItem(tr("Wall time"), QVariant::fromValue(static_cast<int>(XAxis::Time)));
    m_xCombo->setToolTip(tr("What the x axis of the loss and metric charts counts"));
    connect(m_xCombo, &QComboBox::currentIndexChanged, this,
            [this](int i) { setXAxis(static_cast<XAxis>(m_xCombo->itemData(i).toInt())); });
    m_logCheck = new QCheckBox(tr("Log y"), this);
    m_logCheck->setObjectName(QStringLiteral("logYCheck"));
    m_logCheck->setToolTip(tr("Logarithmic y axes; values ≤ 0 are left out"));
    connect(m_logCheck, &QCheckBox::toggled, this, &TrainingPanel::setLogY);
    m_smoothSlider = new QSlider(Qt::Horizontal, this);
    m_smoothSlider->setObjectName(QStringLiteral("smoothingSlider"));
    m_smoothSlider->setRange(0, 999);
    m_smoothSlider->setMaximumWidth(200);
    m_smoothSlider->setToolTip(tr("Smoothing of the per-batch curves (exponential moving average, as in "
                                  "TensorBoard); the raw curve stays faint underneath"));
    m_smoothValue = new QLabel(QStringLiteral("0.000"), this);
    connect(m_smoothSlider, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 1000.0); });

    auto* top = new QHBoxLayout;
    top->addWidget(m_toolbar);
    top->addStretch(1);
    top->addWidget(new QLabel(tr("x axis:"), this));
    top->addWidget(m_xCombo);
    top->addSpacing(8);
    top->addWidget(m_logCheck);
    top->addSpacing(8);
    top->addWidget(new QLabel(tr("Smoothing"), this));
    top->addWidget(m_smoothSlider);
    top->addWidget(m_smoothValue);

    m_runLabel = new QLabel(this);
    m_runLabel->setObjectName(QStringLiteral("runLabel"));
    m_runLabel->setTextFormat(Qt::PlainText);
    QFont bold = m_runLabel->font();
    bold.setBold(true);
    m_runLabel->setFont(bold);
    m_progressLabel = new QLabel(this);
    m_progressLabel->setObjectName(QStringLiteral("progressLabel"));
    m_progressLabel->setTextFormat(Qt::PlainText);
    m_progressBar = new QProgressBar(this);
    m_progressBar->setObjectName(QStringLiteral("progressBar"));
    m_progressBar->setRange(0, 1000);
    m_progressBar->setTextVisible(false);
    m_progressBar->setMaximumWidth(240);
    auto* progress = new QHBoxLayout;
    progress->addWidget(m_runLabel);
    progress->addSpacing(12);
    progress->addWidget(m_progressLabel, 1);
    progress->addWidget(m_progressBar);

    auto makePlot = [this](const QString& name, const QString& title, const QString& yTitle) {
        auto* p = new CurvePlot(this);
        p->setObjectName(name);
        p->setTitle(title);
        p->setAxisTitles(tr("epoch"), yTitle);
        p->setSmoothingControlVisible(false);
        p->setLogControlVisible(false);
        p->setExportBaseName(name);
        return p;
    };
    m_lossPlot = makePlot(QStringLiteral("lossPlot"), tr("Training loss per batch"), tr("per user"));
    m_betaPlot = makePlot(QStringLiteral("betaPlot"), tr("KL weight β"), tr("β"));
    m_metricPlot = makePlot(QStringLiteral("metricPlot"), tr("Validation metrics per epoch"), tr("value"));
    const QString perBatch[] = {lossSeries(), reconSeries(), klSeries(), betaKlSeries()};
    for (int i = 0; i < 4; ++i)
        m_lossPlot->addSeries(perBatch[i], Project::paletteColour(i), CurvePlot::Style::Line, true);
    for (int i = 0; i < 4; ++i)
        m_lossPlot->addSeries(perBatch[i] + meanSuffix(), Project::paletteColour(i).darker(115),
                              CurvePlot::Style::LineWithPoints, false);
    m_betaPlot->addSeries(betaSeries(), Project::paletteColour(5), CurvePlot::Style::Line, false);
    m_metricPlot->addSeries(ndcgSeries(), Project::paletteColour(0), CurvePlot::Style::LineWithPoints, false);
    m_metricPlot->addSeries(recall20Series(), Project::paletteColour(1), CurvePlot::Style::LineWithPoints, false);
    m_metricPlot->addSeries(recall50Series(), Project::paletteColour(2), CurvePlot::Style::LineWithPoints, false);

    auto* bottom = new QSplitter(Qt::Horizontal, this);
    bottom->setObjectName(QStringLiteral("trainingBottomSplitter"));
    bottom->addWidget(m_metricPlot);
    bottom->addWidget(m_betaPlot);
    bottom->setStretchFactor(0, 3);
    bottom->setStretchFactor(1, 2);
    auto* charts = new QSplitter(Qt::Vertical, this);
    charts->setObjectName(QStringLiteral("trainingChartSplitter"));
    charts->addWidget(m_lossPlot);
    charts->addWidget(bottom);
    charts->setStretchFactor(0, 3);
    charts->setStretchFactor(1, 2);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(progress);
    layout->addWidget(charts, 1);

    connect(m_session, &TrainingSession::stateChanged, this, [this] {
        updateActions();
        chooseRun();
        if (m_session->state() != TrainingSession::State::Running) updateIdleProgress();
    });
    connect(m_session, &TrainingSession::batchesAdded, this, [this](int id, int, int) {
        if (id == m_runId) sync();
    });
    connect(m_session, &TrainingSession::epochFinished, this, [this](int id, int) {
        if (id == m_runId) sync();
    });
    connect(m_session, &TrainingSession::progressChanged, this,
            [this](int id, int epoch, int total, qint64 batch, qint64 batches) {
                if (id == m_runId) updateProgress(epoch, total, batch, batches);
            });
    connect(m_project, &Project::currentRunChanged, this, [this] { chooseRun(); });
    connect(m_project, &Project::runChanged, this, [this](int id) {
        if (id != m_runId) return;
        sync();
        if (m_session->state() != TrainingSession::State::Running) updateIdleProgress();
        updateActions();
    });
    connect(m_project, &Project::runRemoved, this, [this](int id) {
        if (id == m_runId) m_runId = -2;  // forces a rebuild even if the new choice is -1
        chooseRun();
        updateActions();
    });
    connect(m_project, &Project::dataChanged, this, [this] { updateActions(); });

    updateActions();
    chooseRun();
    updateIdleProgress();
}

TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::updateActions() {
    using S = TrainingSession::State;
    const S st = m_session->state();
    const bool hasData = m_project->hasData();
    const bool canStart = st == S::Ready || st == S::Paused ||
                          ((st == S::Idle || st == S::Finished || st == S::Failed) && hasData);
    m_play->setEnabled(canStart);
    m_step->setEnabled(canStart);
    m_pause->setEnabled(st == S::Running);
    m_stop->setEnabled(st == S::Running || st == S::Paused || st == S::Ready);
    m_reset->setEnabled((st == S::Running || st == S::Paused || st == S::Finished || st == S::Failed) &&
                        m_project->run(m_session->runId()) != nullptr);
    m_playPause->setEnabled(canStart || st == S::Running);
}

void TrainingPanel::chooseRun() {
    using S = TrainingSession::State;
    const S st = m_session->state();
    int id = -1;
    if (m_session->runId() != -1 && (st == S::Ready || st == S::Running || st == S::Paused))
        id = m_session->runId();
    else if (m_project->currentRunId() != -1)
        id = m_project->currentRunId();
    else if (m_project->run(m_session->runId()))
        id = m_session->runId();
    if (id == m_runId) return;
    m_runId = id;
    rebuild();
    updateIdleProgress();
}

void TrainingPanel::clearPlots() {
    for (CurvePlot* p : {m_lossPlot, m_betaPlot, m_metricPlot}) {
        p->clearPoints();
        p->clearMarker();
        p->resetZoom();
    }
    m_batchesShown = 0;
    m_epochsShown = 0;
}

void TrainingPanel::rebuild() {
    clearPlots();
    sync();
}

void TrainingPanel::sync() {
    const Run* r = m_project->run(m_runId);
    if (!r) {
        if (m_batchesShown || m_epochsShown) rebuild();
        return;
    }
    if (r->batches.size() < m_batchesShown || r->epochs.size() < m_epochsShown) {
        clearPlots();  // Reset cleared the history.
    }
    if (r->batches.size() > m_batchesShown) appendBatches(*r, m_batchesShown);
    if (r->epochs.size() > m_epochsShown) appendEpochs(*r, m_epochsShown);
    updateBestMarker(*r);
}

double TrainingPanel::batchX(const BatchPoint& b) const {
    switch (m_xAxis) {
    case XAxis::Epoch: return b.epochProgress;
    case XAxis::Step: return static_cast<double>(b.update);
    case XAxis::Time: return b.seconds;
    }
    return b.epochProgress;
}

double TrainingPanel::epochX(const EpochPoint& e) const {
    switch (m_xAxis) {
    case XAxis::Epoch: return e.report.epoch;
    case XAxis::Step: return static_cast<double>(e.report.updates);
    case XAxis::Time: return e.seconds;
    }
    return e.report.epoch;
}

void TrainingPanel::appendBatches(const Run& run, std::size_t from) {
    QList<QPointF> loss, recon, kl, betaKl, beta;
    const auto n = static_cast<qsizetype>(run.batches.size() - from);
    for (QList<QPointF>* l : {&loss, &recon, &kl, &betaKl, &beta}) l->reserve(n);
    for (std::size_t i = from; i < run.batches.size(); ++i) {
        const BatchPoint& b = run.batches[i];
        const double x = batchX(b);
        loss.append({x, b.terms.loss});
        recon.append({x, b.terms.recon});
        kl.append({x, b.terms.kl});
        betaKl.append({x, b.terms.beta * b.terms.kl});
        beta.append({x, b.terms.beta});
    }
    m_lossPlot->appendPoints(lossSeries(), loss);
    m_lossPlot->appendPoints(reconSeries(), recon);
    m_lossPlot->appendPoints(klSeries(), kl);
    m_lossPlot->appendPoints(betaKlSeries(), betaKl);
    m_betaPlot->appendPoints(betaSeries(), beta);
    m_batchesShown = run.batches.size();
}

void TrainingPanel::appendEpochs(const Run& run, std::size_t from) {
    QList<QPointF> loss, recon, kl, betaKl, ndcg, r20, r50;
    for (std::size_t i = from; i < run.epochs.size(); ++i) {
        const EpochPoint& e = run.epochs[i];
        const double x = epochX(e);
        const core::LossTerms& t = e.report.train;
        loss.append({x, t.loss});
        recon.append({x, t.recon});
        kl.append({x, t.kl});
        // The mean of β·KL over the batches (β may change within an epoch).
        betaKl.append({x, t.loss - t.recon - t.penalty});
        if (e.report.validated) {
            ndcg.append({x, metricValue(e.report.validation, "ndcg@100")});
            r20.append({x, metricValue(e.report.validation, "recall@20")});
            r50.append({x, metricValue(e.report.validation, "recall@50")});
        }
    }
    m_lossPlot->appendPoints(lossSeries() + meanSuffix(), loss);
    m_lossPlot->appendPoints(reconSeries() + meanSuffix(), recon);
    m_lossPlot->appendPoints(klSeries() + meanSuffix(), kl);
    m_lossPlot->appendPoints(betaKlSeries() + meanSuffix(), betaKl);
    m_metricPlot->appendPoints(ndcgSeries(), ndcg);
    m_metricPlot->appendPoints(recall20Series(), r20);
    m_metricPlot->appendPoints(recall50Series(), r50);
    m_epochsShown = run.epochs.size();
}

void TrainingPanel::updateBestMarker(const Run& run) {
    for (const EpochPoint& e : run.epochs)
        if (run.bestEpoch > 0 && e.report.epoch == run.bestEpoch) {
            const QString label = tr("best epoch %1").arg(run.bestEpoch);
            const double x = epochX(e);
            if (m_metricPlot->markerX() != x || m_metricPlot->markerLabel() != label) {
                m_metricPlot->setMarker(x, label);
                m_lossPlot->setMarker(x, label);
            }
            return;
        }
    if (m_metricPlot->hasMarker()) {
        m_metricPlot->clearMarker();
        m_lossPlot->clearMarker();
    }
}

void TrainingPanel::setXAxis(XAxis axis) {
    if (const int i = m_xCombo->findData(static_cast<int>(axis)); i != m_xCombo->currentIndex()) {
        m_xCombo->setCurrentIndex(i);  // comes back here through the combo
        return;
    }
    if (axis == m_xAxis) return;
    m_xAxis = axis;
    const QString title = axis == XAxis::Epoch ? tr("epoch")
                          : axis == XAxis::Step ? tr("optimizer step")
                                                : tr("wall time (s)");
    m_lossPlot->setAxisTitles(title, tr("per user"));
    m_betaPlot->setAxisTitles(title, tr("β"));
    m_metricPlot->setAxisTitles(title, tr("value"));
    rebuild();
}

void TrainingPanel::setLogY(bool on) {
    {
        const QSignalBlocker block(m_logCheck);
        m_logCheck->setChecked(on);
    }
    for (CurvePlot* p : {m_lossPlot, m_betaPlot, m_metricPlot}) p->setLogY(on);
}

void TrainingPanel::setSmoothing(double weight) {
    weight = std::clamp(weight, 0.0, 0.999);
    {
        const QSignalBlocker block(m_smoothSlider);
        m_smoothSlider->setValue(static_cast<int>(std::lround(weight * 1000)));
    }
    m_smoothValue->setText(QString::number(weight, 'f', 3));
    for (CurvePlot* p : {m_lossPlot, m_betaPlot, m_metricPlot}) p->setSmoothing(weight);
}

QString TrainingPanel::progressText() const { return m_progressLabel->text(); }

void TrainingPanel::updateProgress(int epoch, int totalEpochs, qint64 batch, qint64 batches) {
    const Run* r = m_project->run(m_runId);
    if (!r) return;
    m_runLabel->setText(r->name);
    QStringList parts;
    parts << tr("epoch %1/%2").arg(epoch).arg(totalEpochs);
    parts << tr("batch %1/%2").arg(batch).arg(batches);
    const double spe = r->secondsPerEpoch();
    parts << (spe > 0 ? tr("%1 s/epoch").arg(spe, 0, 'f', spe < 10 ? 2 : 1) : tr("— s/epoch"));
    double eta = std::nan("");
    if (!r->batches.empty() && totalEpochs > 0) {
        const BatchPoint& last = r->batches.back();
        if (last.epochProgress > 0)
            eta = last.seconds / last.epochProgress * (totalEpochs - last.epochProgress);
    }
    parts << tr("ETA %1").arg(duration(eta));
    m_progressLabel->setText(parts.join(QStringLiteral(" · ")));
    const double done = totalEpochs > 0 && batches > 0
                            ? ((epoch - 1) + static_cast<double>(batch) / static_cast<double>(batches)) / totalEpochs
                            : 0.0;
    m_progressBar->setValue(static_cast<int>(std::lround(std::clamp(done, 0.0, 1.0) * 1000)));
}

void TrainingPanel::updateIdleProgress() {
    const Run* r = m_project->run(m_runId);
    if (!r) {
        m_runLabel->setText(tr("No run"));
        m_progressLabel->setText(tr("Load data, choose a model and press Play."));
        m_progressBar->setValue(0);
        return;
    }
    m_runLabel->setText(r->name);
    QStringList parts;
    parts << runStateName(r->state);
    const int total = r->totalEpochs;
    parts << tr("epoch %1/%2").arg(r->epochs.size()).arg(total);
    if (r->bestEpoch > 0) {
        const double ndcg = r->bestMetric("ndcg@100");
        parts << tr("best epoch %1 (NDCG@100 %2)").arg(r->bestEpoch).arg(ndcg, 0, 'f', 4);
    }
    if (const double spe = r->secondsPerEpoch(); spe > 0)
        parts << tr("%1 s/epoch").arg(spe, 0, 'f', spe < 10 ? 2 : 1);
    if (r->test) {
        const auto it = r->test->mean.find("ndcg@100");
        if (it != r->test->mean.end()) parts << tr("test NDCG@100 %1").arg(it->second, 0, 'f', 4);
    }
    if ((r->state == RunState::Failed || r->state == RunState::Diverged) && !r->error.isEmpty())
        parts << r->error;
    m_progressLabel->setText(parts.join(QStringLiteral(" · ")));
    const double done = total > 0 ? static_cast<double>(r->epochs.size()) / total : 0.0;
    m_progressBar->setValue(static_cast<int>(std::lround(std::clamp(done, 0.0, 1.0) * 1000)));
}

}  // namespace vaecf::ui
