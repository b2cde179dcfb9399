// SPDX-License-Identifier: MIT
// The Data panel: open a file, folder or archive (or download MovieLens, or generate the demo
// data), see what was loaded (counts, activity and popularity histograms), and change the
// preprocessing and split with their effect previewed in the background before Apply.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include <QStringList>
#include <QWidget>

#include "session/project.h"
#include "session/training_session.h"

QT_BEGIN_NAMESPACE
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGridLayout;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;
class QToolButton;
QT_END_NAMESPACE

namespace vaecf::ui {

class DataLoader;
class HistogramChart;

class DataPanel : public QWidget {
    Q_OBJECT
public:
    explicit DataPanel(Project* project, QWidget* parent = nullptr);
    ~DataPanel() override;

    // Opens a file, folder or archive. Liang split folders load as a split; generic delimited
    // files first ask for their columns (when the format is "auto" or "delimited"). With "Skip
    // malformed lines" checked, bad lines are left out and their count logged.
    void openPath(const QString& path);
    void showOpenDialog();        // a file or an archive
    void showOpenFolderDialog();  // a folder: MovieLens folder, Liang split
    void showDownloadDialog();
    QStringList recentFiles() const;
    bool isBusy() const;
    void cancelLoading();

    // The numbers shown: of the current data, and of the pending options' preview.
    struct Summary {
        std::int64_t users = 0, items = 0, interactions = 0;
        double density = 0;
        std::int64_t trainUsers = 0, validationUsers = 0, testUsers = 0, vocabulary = 0;
    };
    static Summary summarize(const DataState& state);
    std::optional<Summary> currentSummary() const;
    std::optional<Summary> previewSummary() const;  // unset while none is computed

    // The preprocessing and split options set in the panel.
    core::PreprocessOptions preprocessOptions() const;
    core::SplitOptions splitOptions() const;
    core::DemoOptions demoOptions() const;

public Q_SLOTS:
    void apply();     // builds the data with the panel's options and sets it on the project
    void generate();  // builds the demo data with the demo knobs

Q_SIGNALS:
    void recentFilesChanged();
    void busyChanged(bool busy);
    void previewReady();   // previewSummary() is up to date (or the preview failed)
    void loadFailed(const QString& message);

private:
    void buildUi();
    void load(const DataSource& source, std::shared_ptr<const core::Dataset> raw = nullptr);
    void loadWithMapper(const QString& path, const QStringList& lines, const core::ReadOptions& read);
    void onLoaded(std::shared_ptr<const DataState> state);
    void onFailed(const QString& message);
    void onDataChanged();
    void syncOptionsFrom(const DataSource& source);
    void schedulePreview();
    void startPreview();
    void showSummary(const std::optional<Summary>& s, bool preview);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void setMessage(const QString& text, bool error);
    void updateBusy();
    DataSource pendingSource() const;  // current source with the panel's options

    Project* m_project;
    DataLoader* m_loader;
    DataLoader* m_previewLoader;
    QTimer* m_previewTimer;
    quint64 m_probe = 0;  // id of the format probe whose answer counts
    bool m_probing = false;
    bool m_wasBusy = false;
    std::shared_ptr<const DataState> m_preview;
    QString m_previewError;

    QLabel* m_title;
    QToolButton* m_open;
    QToolButton* m_recent;
    QMenu* m_recentMenu;
    QPushButton* m_download;
    QComboBox* m_format;
    QCheckBox* m_skipBadLines;
    QProgressBar* m_progress;
    QPushButton* m_cancel;
    QLabel* m_message;
    QLabel* m_asRead;
    QGridLayout* m_summaryGrid;
    HistogramChart* m_userHist;
    HistogramChart* m_itemHist;

    QCheckBox* m_implicit;
    QDoubleSpinBox* m_threshold;
    QSpinBox* m_minUser;
    QSpinBox* m_minItem;
    QComboBox* m_heldOutMode;
    QDoubleSpinBox* m_heldOutFraction;
    QSpinBox* m_heldOutCount;
    QDoubleSpinBox* m_testProportion;
    QSpinBox* m_splitSeed;
    QComboBox* m_recipe;
    QPushButton* m_apply;
    QLabel* m_previewNote;

    QSpinBox* m_demoUsers;
    QSpinBox* m_demoItems;
    QSpinBox* m_demoClusters;
    QDoubleSpinBox* m_demoNoise;
    QDoubleSpinBox* m_demoActivity;
    QSpinBox* m_demoSeed;
    QPushButton* m_generate;
};

}  // namespace vaecf::ui
