// SPDX-License-Identifier: MIT
// The main window: Data, Model and Log docks around the Training, Runs, Recommendations and
// Latent map tabs; menus, shortcuts, status bar; layout and settings kept with QSettings.
#pragma once

#include <QMainWindow>

class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;

namespace vaecf::ui {

class Project;
class TrainingSession;
class DataPanel;
class ModelPanel;
class TrainingPanel;
class RunsPanel;
class RecommendationsPanel;
class LatentPanel;
class LogPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    Project* project() const { return m_project; }
    TrainingSession* session() const { return m_session; }
    DataPanel* dataPanel() const { return m_data; }
    ModelPanel* modelPanel() const { return m_model; }
    TrainingPanel* trainingPanel() const { return m_training; }
    RunsPanel* runsPanel() const { return m_runs; }
    RecommendationsPanel* recommendationsPanel() const { return m_recs; }
    LatentPanel* latentPanel() const { return m_latent; }
    LogPanel* logPanel() const { return m_log; }

    // Loads the built-in demo dataset synchronously (it takes a fraction of a second).
    void loadDemo();
    // Shows a tab by name: "training", "runs", "recommendations", "latent".
    void showTab(const QString& name);
    QString currentTab() const;

    // Projects (see session/project_io.h). Saving is quick and done in place; opening reads
    // the models and rebuilds the data in the background. Errors go to the log.
    bool saveProjectTo(const QString& folder);
    void openProject(const QString& folder);
    QString projectFolder() const { return m_projectFolder; }

    // "system", "light" or "dark".
    void setTheme(const QString& theme);
    QString theme() const { return m_theme; }

protected:
    void closeEvent(QCloseEvent* event) override;

Q_SIGNALS:
    void projectOpened(const QString& folder);

private:
    void buildMenus();
    void saveLayout() const;
    void restoreLayout();
    void updateStatus();

    Project* m_project = nullptr;
    TrainingSession* m_session = nullptr;
    DataPanel* m_data = nullptr;
    ModelPanel* m_model = nullptr;
    TrainingPanel* m_training = nullptr;
    RunsPanel* m_runs = nullptr;
    RecommendationsPanel* m_recs = nullptr;
    LatentPanel* m_latent = nullptr;
    LogPanel* m_log = nullptr;
    QTabWidget* m_tabs = nullptr;
    QLabel* m_statusText = nullptr;
    QProgressBar* m_statusProgress = nullptr;
    QMenu* m_recentMenu = nullptr;
    QString m_projectFolder;
    QString m_theme = QStringLiteral("system");
};

}  // namespace vaecf::ui
