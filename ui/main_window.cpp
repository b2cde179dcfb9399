// SPDX-License-Identifier: MIT
#include "main_window.h"

#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>
#include <QTabWidget>

#include "session/project.h"
#include "session/training_session.h"
#include "widgets/data_panel.h"
#include "widgets/latent_panel.h"
#include "widgets/log_panel.h"
#include "widgets/model_panel.h"
#include "widgets/recommendations_panel.h"
#include "widgets/runs_panel.h"
#include "widgets/training_panel.h"

namespace vaecf::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("VAE-CF Studio"));
    m_project = new Project(this);
    m_session = new TrainingSession(m_project, this);
    m_tabs = new QTabWidget(this);
    m_training = new TrainingPanel(m_project, m_session);
    m_runs = new RunsPanel(m_project, m_session);
    m_recs = new RecommendationsPanel(m_project);
    m_latent = new LatentPanel(m_project);
    m_tabs->addTab(m_training, tr("Training"));
    m_tabs->addTab(m_runs, tr("Runs"));
    m_tabs->addTab(m_recs, tr("Recommendations"));
    m_tabs->addTab(m_latent, tr("Latent map"));
    setCentralWidget(m_tabs);
    auto dock = [this](QWidget* w, const QString& title, const QString& name, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    m_data = new DataPanel(m_project);
    m_model = new ModelPanel(m_project);
    m_log = new LogPanel(m_project);
    QDockWidget* dd = dock(m_data, tr("Data"), QStringLiteral("DataDock"), Qt::LeftDockWidgetArea);
    QDockWidget* md = dock(m_model, tr("Model"), QStringLiteral("ModelDock"), Qt::LeftDockWidgetArea);
    tabifyDockWidget(dd, md);
    md->raise();
    dock(m_log, tr("Log"), QStringLiteral("LogDock"), Qt::BottomDockWidgetArea);
    m_session->setSetupProvider([this] { return m_model->currentSetup(); });
    m_statusText = new QLabel(this);
    m_statusProgress = new QProgressBar(this);
    m_statusProgress->setMaximumWidth(220);
    m_statusProgress->setVisible(false);
    statusBar()->addWidget(m_statusText, 1);
    statusBar()->addPermanentWidget(m_statusProgress);
    resize(1400, 900);
}

MainWindow::~MainWindow() = default;

void MainWindow::loadDemo() {
    try {
        m_project->setData(buildDataState(DataSource{}));
    } catch (const std::exception& e) {
        m_project->log(Severity::Error, QString::fromUtf8(e.what()));
    }
}

void MainWindow::showTab(const QString& name) {
    const QStringList names{QStringLiteral("training"), QStringLiteral("runs"),
                            QStringLiteral("recommendations"), QStringLiteral("latent")};
    const int i = names.indexOf(name);
    if (i >= 0) m_tabs->setCurrentIndex(i);
}

void MainWindow::closeEvent(QCloseEvent* event) { event->accept(); }

void MainWindow::buildMenus() {}
void MainWindow::restoreLayout() {}
void MainWindow::updateStatus() {}

}  // namespace vaecf::ui
