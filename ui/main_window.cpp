// SPDX-License-Identifier: MIT
#include "main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QStyleFactory>
#include <QTabWidget>
#include <QtConcurrent/QtConcurrentRun>

#include "session/project.h"
#include "session/project_io.h"
#include "session/training_session.h"
#include "vaecf/system.h"
#include "widgets/data_panel.h"
#include "widgets/latent_panel.h"
#include "widgets/log_panel.h"
#include "widgets/model_panel.h"
#include "widgets/recommendations_panel.h"
#include "widgets/runs_panel.h"
#include "widgets/training_panel.h"

namespace vaecf::ui {

namespace {

const QStringList& tabNames() {
    static const QStringList names{QStringLiteral("training"), QStringLiteral("runs"),
                                   QStringLiteral("recommendations"), QStringLiteral("latent")};
    return names;
}

QPalette darkPalette() {
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x30), base(0x1e, 0x1f, 0x22), text(0xdf, 0xe1, 0xe5);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, base);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Link, QColor(0x56, 0xB4, 0xE9));
    p.setColor(QPalette::Highlight, QColor(0x00, 0x72, 0xB2));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::PlaceholderText, QColor(0x8a, 0x8d, 0x91));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, QColor(0x6f, 0x72, 0x76));
    return p;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("VAE-CF Studio"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/vaecf-studio.svg")));
    setDockNestingEnabled(true);
    m_project = new Project(this);
    m_session = new TrainingSession(m_project, this);
    // The log panel first, so that it hears everything the others say while they are built.
    m_log = new LogPanel(m_project);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->setDocumentMode(true);
    m_training = new TrainingPanel(m_project, m_session);
    m_runs = new RunsPanel(m_project, m_session);
    m_recs = new RecommendationsPanel(m_project);
    m_latent = new LatentPanel(m_project);
    m_tabs->addTab(m_training, tr("&Training"));
    m_tabs->addTab(m_runs, tr("R&uns"));
    m_tabs->addTab(m_recs, tr("&Recommendations"));
    m_tabs->addTab(m_latent, tr("&Latent map"));
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
    QDockWidget* dd = dock(m_data, tr("Data"), QStringLiteral("DataDock"), Qt::LeftDockWidgetArea);
    QDockWidget* md = dock(m_model, tr("Model"), QStringLiteral("ModelDock"), Qt::LeftDockWidgetArea);
    tabifyDockWidget(dd, md);
    md->raise();
    QDockWidget* ld = dock(m_log, tr("Log"), QStringLiteral("LogDock"), Qt::BottomDockWidgetArea);
    resizeDocks({md}, {420}, Qt::Horizontal);
    resizeDocks({ld}, {140}, Qt::Vertical);
    m_session->setSetupProvider([this] { return m_model->currentSetup(); });

    m_statusText = new QLabel(this);
    m_statusText->setObjectName(QStringLiteral("statusText"));
    m_statusProgress = new QProgressBar(this);
    m_statusProgress->setObjectName(QStringLiteral("statusProgress"));
    m_statusProgress->setMaximumWidth(220);
    m_statusProgress->setVisible(false);
    statusBar()->addWidget(m_statusText, 1);
    statusBar()->addPermanentWidget(m_statusProgress);

    connect(m_session, &TrainingSession::stateChanged, this, &MainWindow::updateStatus);
    connect(m_session, &TrainingSession::progressChanged, this,
            [this](int, int epoch, int total, qint64 batch, qint64 batches) {
                m_statusProgress->setVisible(true);
                const qint64 all = std::max<qint64>(1, static_cast<qint64>(total) * std::max<qint64>(1, batches));
                m_statusProgress->setRange(0, 1000);
                m_statusProgress->setValue(static_cast<int>(1000 * ((epoch - 1) * batches + batch) / all));
                updateStatus();
            });
    connect(m_project, &Project::dataChanged, this, &MainWindow::updateStatus);
    // A new run joins the Runs overlay, as a new run directory joins TensorBoard's charts.
    connect(m_project, &Project::runAdded, this, [this](int id) {
        std::vector<int> ids = m_project->overlaidRuns();
        ids.push_back(id);
        m_project->setOverlaidRuns(ids);
    });
    // Loading data and computing maps run in the background: say so in the status bar.
    connect(m_data, &DataPanel::busyChanged, this, [this](bool busy) {
        if (busy) statusBar()->showMessage(tr("Loading data…"));
        else statusBar()->clearMessage();
    });
    connect(m_latent, &LatentPanel::busyChanged, this, [this](bool busy) {
        if (busy) statusBar()->showMessage(tr("Computing the latent map…"));
        else statusBar()->clearMessage();
    });
    connect(m_project, &Project::runChanged, this, &MainWindow::updateStatus);
    connect(m_project, &Project::userSelected, this, [this](UserRef u) {
        // A user picked on the latent map is shown in Recommendations when the map is not on screen
        // beside it; keep the map visible when it is the current tab (the user is exploring it).
        if (u.valid() && m_tabs->currentWidget() != m_latent) showTab(QStringLiteral("recommendations"));
    });
    connect(m_log, &LogPanel::errorLogged, this, [this](const QString& msg) {
        statusBar()->showMessage(tr("Error: %1 (see the Log panel)").arg(msg), 8000);
    });
    connect(m_runs, &RunsPanel::rerunRequested, this, [this, md](int id) {
        if (Run* r = m_project->run(id)) {
            m_model->loadRun(*r);
            md->show();
            md->raise();
            statusBar()->showMessage(tr("Settings of %1 loaded in the Model panel: change them, then press Play")
                                         .arg(r->name), 6000);
        }
    });

    buildMenus();
    restoreLayout();
    m_model->restoreSettings();
    updateStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open data…"), m_data, &DataPanel::showOpenDialog);
    open->setShortcut(QKeySequence::Open);
    open->setObjectName(QStringLiteral("actionOpenData"));
    file->addAction(tr("Open data &folder…"), m_data, &DataPanel::showOpenFolderDialog)
        ->setObjectName(QStringLiteral("actionOpenFolder"));
    file->addAction(tr("Get &MovieLens…"), m_data, &DataPanel::showDownloadDialog)
        ->setObjectName(QStringLiteral("actionGetMovieLens"));
    m_recentMenu = file->addMenu(tr("Open &recent"));
    auto fillRecent = [this] {
        m_recentMenu->clear();
        const QStringList files = m_data->recentFiles();
        for (const QString& f : files) m_recentMenu->addAction(f, this, [this, f] { m_data->openPath(f); });
        m_recentMenu->setEnabled(!files.isEmpty());
    };
    fillRecent();
    connect(m_data, &DataPanel::recentFilesChanged, this, fillRecent);
    file->addAction(tr("&Demo dataset"), this, &MainWindow::loadDemo)->setObjectName(QStringLiteral("actionDemo"));
    file->addSeparator();
    QAction* openProj = file->addAction(tr("Open &project…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Open project folder"));
        if (!dir.isEmpty()) openProject(dir);
    });
    openProj->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    QAction* save = file->addAction(tr("&Save project"), this, [this] {
        QString dir = m_projectFolder;
        if (dir.isEmpty()) dir = QFileDialog::getExistingDirectory(this, tr("Save project into folder"));
        if (!dir.isEmpty()) saveProjectTo(dir);
    });
    save->setShortcut(QKeySequence::Save);
    file->addAction(tr("Save project &as…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Save project into folder"));
        if (!dir.isEmpty()) saveProjectTo(dir);
    })->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* train = menuBar()->addMenu(tr("&Train"));
    // The Training panel's own actions, so that their shortcuts (Space, F10, Ctrl+., Ctrl+R)
    // work from every view and the menu shows them.
    for (QAction* a : {m_training->playPauseAction(), m_training->playAction(), m_training->pauseAction(),
                       m_training->stepAction(), m_training->stopAction(), m_training->resetAction()})
        train->addAction(a);
    train->addSeparator();
    train->addAction(tr("Preset: &paper defaults"), this, [this] { m_model->applyPreset(QStringLiteral("paper")); });
    train->addAction(tr("Preset: &quick demo"), this, [this] { m_model->applyPreset(QStringLiteral("demo")); });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < tabNames().size(); ++i) {
        QAction* a = view->addAction(m_tabs->tabText(i).remove(QLatin1Char('&')), this,
                                     [this, i] { m_tabs->setCurrentIndex(i); });
        a->setShortcut(QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)));
    }
    view->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());
    view->addSeparator();
    QMenu* themes = view->addMenu(tr("&Theme"));
    auto* group = new QActionGroup(this);
    for (const auto& [key, label] : {std::pair{QStringLiteral("system"), tr("System")},
                                     std::pair{QStringLiteral("light"), tr("Light")},
                                     std::pair{QStringLiteral("dark"), tr("Dark")}}) {
        QAction* a = themes->addAction(label, this, [this, k = key] { setTheme(k); });
        a->setCheckable(true);
        a->setData(key);
        group->addAction(a);
    }
    connect(themes, &QMenu::aboutToShow, this, [group, this] {
        for (QAction* a : group->actions()) a->setChecked(a->data().toString() == m_theme);
    });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About VAE-CF Studio"), this, [this] {
        QMessageBox::about(this, tr("About VAE-CF Studio"),
                           tr("<h3>VAE-CF Studio %1</h3><p>Train and explore variational-autoencoder "
                              "collaborative-filtering models: Mult-VAE and Mult-DAE (Liang et al. 2018) "
                              "and baselines, with live curves, per-user recommendations and latent maps.</p>"
                              "<p>Kernels: %2 · %3 hardware threads</p>")
                               .arg(QApplication::applicationVersion(),
                                    QString::fromStdString(core::kernelIsaName()))
                               .arg(core::hardwareThreads()));
    });
}

void MainWindow::loadDemo() {
    try {
        m_project->setData(buildDataState(DataSource{}));
        m_project->log(Severity::Info, tr("Loaded %1").arg(m_project->data()->source.describe()));
    } catch (const std::exception& e) {
        m_project->log(Severity::Error, QString::fromUtf8(e.what()));
    }
}

void MainWindow::showTab(const QString& name) {
    const int i = tabNames().indexOf(name);
    if (i >= 0) m_tabs->setCurrentIndex(i);
}

QString MainWindow::currentTab() const { return tabNames().value(m_tabs->currentIndex()); }

bool MainWindow::saveProjectTo(const QString& folder) {
    try {
        saveProject(*m_project, folder);
        m_projectFolder = folder;
        m_project->log(Severity::Info, tr("Saved the project in %1 (%n run(s))", nullptr,
                                          static_cast<int>(m_project->runs().size())).arg(folder));
        setWindowTitle(tr("VAE-CF Studio — %1").arg(folder));
        return true;
    } catch (const std::exception& e) {
        m_project->log(Severity::Error, tr("Saving the project failed: %1").arg(QString::fromUtf8(e.what())));
        return false;
    }
}

void MainWindow::openProject(const QString& folder) {
    struct Loaded {
        std::shared_ptr<const DataState> data;
        std::shared_ptr<ProjectFile> file;
        QString error;
    };
    m_project->log(Severity::Info, tr("Opening the project %1…").arg(folder));
    m_statusProgress->setVisible(true);
    m_statusProgress->setRange(0, 0);
    auto* watcher = new QFutureWatcher<Loaded>(this);
    connect(watcher, &QFutureWatcher<Loaded>::finished, this, [this, watcher, folder] {
        Loaded l = watcher->result();
        watcher->deleteLater();
        m_statusProgress->setVisible(false);
        m_statusProgress->setRange(0, 1000);
        if (!l.error.isEmpty()) {
            m_project->log(Severity::Error, tr("Opening the project failed: %1").arg(l.error));
            return;
        }
        applyProject(*m_project, l.data, std::move(*l.file));
        m_projectFolder = folder;
        setWindowTitle(tr("VAE-CF Studio — %1").arg(folder));
        m_project->log(Severity::Info, tr("Opened the project %1 (%n run(s))", nullptr,
                                          static_cast<int>(m_project->runs().size())).arg(folder));
        Q_EMIT projectOpened(folder);
    });
    watcher->setFuture(QtConcurrent::run(jobPool(), [folder]() -> Loaded {
        Loaded l;
        try {
            auto f = std::make_shared<ProjectFile>(readProject(folder));
            l.data = buildDataState(f->source);
            l.file = std::move(f);
        } catch (const std::exception& e) {
            l.error = QString::fromUtf8(e.what());
        }
        return l;
    }));
}

void MainWindow::setTheme(const QString& theme) {
    m_theme = theme;
    if (theme == QLatin1String("dark")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(darkPalette());
    } else if (theme == QLatin1String("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(QApplication::style()->standardPalette());
    } else {
        QApplication::setPalette(QPalette());
    }
    QSettings().setValue(QStringLiteral("ui/theme"), theme);
}

void MainWindow::updateStatus() {
    QStringList parts;
    if (auto d = m_project->data()) parts << d->title();
    else parts << tr("No data");
    const TrainingSession::State st = m_session->state();
    if (Run* r = m_project->run(m_session->runId())) {
        // A diverged run says so (the reason is in the log and the Training tab).
        QString s = tr("%1: %2").arg(r->name, r->state == RunState::Diverged ? runStateName(r->state)
                                                                              : TrainingSession::stateName(st));
        if (!r->epochs.empty())
            s += tr(" · epoch %1/%2").arg(r->epochs.size()).arg(r->totalEpochs);
        if (r->bestEpoch > 0)
            s += tr(" · best NDCG@100 %1 (epoch %2)").arg(r->bestMetric("ndcg@100"), 0, 'f', 4).arg(r->bestEpoch);
        parts << s;
    } else {
        parts << tr("Ready to train: press Play (Space)");
    }
    m_statusText->setText(parts.join(QStringLiteral("  ·  ")));
    if (st != TrainingSession::State::Running) m_statusProgress->setVisible(false);
}

void MainWindow::saveLayout() const {
    QSettings st;
    st.setValue(QStringLiteral("ui/geometry"), saveGeometry());
    st.setValue(QStringLiteral("ui/state"), saveState());
    st.setValue(QStringLiteral("ui/tab"), m_tabs->currentIndex());
    m_model->saveSettings();
}

void MainWindow::restoreLayout() {
    QSettings st;
    restoreGeometry(st.value(QStringLiteral("ui/geometry")).toByteArray());
    restoreState(st.value(QStringLiteral("ui/state")).toByteArray());
    m_tabs->setCurrentIndex(st.value(QStringLiteral("ui/tab"), 0).toInt());
    const QString theme = st.value(QStringLiteral("ui/theme"), QStringLiteral("system")).toString();
    if (theme != QLatin1String("system")) setTheme(theme);
    if (!st.contains(QStringLiteral("ui/geometry"))) resize(1400, 900);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveLayout();
    // Training stops after the batch in progress and its worker is waited for, so nothing
    // trains (or writes) once the window is gone. Saving a project runs on this thread, so it
    // has completed (each file replaced atomically) before a close event is handled.
    m_session->shutdown();
    event->accept();
}

}  // namespace vaecf::ui
