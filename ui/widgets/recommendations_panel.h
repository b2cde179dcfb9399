// SPDX-License-Identifier: MIT
// The Recommendations tab: pick a user of the split (or follow the latent map's selection),
// see the user's history beside the current run's top-N with held-out hits marked and the
// user's metrics; build "your own taste" from titles and get a fold-in top-N at once; compare
// two runs' lists for the same user; export a list or the per-user metrics of a part as CSV.
//
// Scoring one user happens inline (fast); per-user metrics of a whole held-out part run in
// the background and fill the user list when done. Stale jobs (run, part or data changed) are
// cancelled and their results ignored.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <QWidget>

#include "session/project.h"
#include "session/recommender.h"

class QComboBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace vaecf::ui {

class ItemListModel;
class RecommendationModel;
class UserListModel;

class RecommendationsPanel : public QWidget {
    Q_OBJECT
public:
    explicit RecommendationsPanel(Project* project, QWidget* parent = nullptr);
    ~RecommendationsPanel() override;

    // The user whose recommendations are shown (invalid: none).
    UserRef shownUser() const { return m_user; }
    // Shows `user` (switching the part and selecting its row in the list).
    void showUser(UserRef user);

    int topN() const;
    void setTopN(int n);

    // The run compared with the current one (-1: none).
    int compareRunId() const { return m_compareRunId; }
    void setCompareRun(int id);

    // "Your own taste": the items of the brand-new user, in the order added.
    const std::vector<std::int32_t>& tasteItems() const { return m_taste; }
    void addTasteItem(std::int32_t item);
    void removeTasteItem(std::int32_t item);
    void clearTaste();

    // What the tables show (for exports and tests).
    const std::vector<Recommendation>& shownRecommendations() const;
    const std::vector<Recommendation>& compareRecommendations() const;
    const std::vector<Recommendation>& tasteRecommendations() const;
    // Per-user metrics of the listed part are computed for the current run.
    bool partMetricsReady() const;

    // CSV exports (formats: recommender.h). Return false and log why on failure.
    bool exportRecommendations(const QString& path);
    bool exportPartMetrics(const QString& path);

Q_SIGNALS:
    // The background per-user metrics of `part` arrived and fill the user list.
    void partMetricsComputed(vaecf::ui::Part part);

protected:
    void changeEvent(QEvent* event) override;

private:
    void buildUi();
    void onDataChanged();
    void onRunChanged(int id);
    // Re-reads the current run and its model; refreshes everything when the model changed.
    void updateModel(bool force = false);
    void rebuildCompareCombo();
    void setPart(Part part);
    void onUserRowChanged();
    void onProjectUserSelected(UserRef user);
    void refreshUser();
    void refreshTaste();
    void startPartMetrics();
    void cancelPartMetrics();
    void updateActions();
    void applyPalette();
    void addSelectedTasteItem();
    void exportRecommendationsInteractive();
    void exportPartMetricsInteractive();
    std::shared_ptr<const core::Model> usableModel(const Run* run) const;

    Project* m_project;
    std::shared_ptr<const DataState> m_data;
    std::shared_ptr<const core::Model> m_model;
    std::shared_ptr<const core::Model> m_compareModel;
    int m_runId = -1;
    int m_compareRunId = -1;
    UserRef m_user;
    std::vector<std::int32_t> m_taste;
    bool m_syncing = false;
    QString m_compareSignature;

    std::shared_ptr<std::atomic<bool>> m_jobCancel;
    quint64 m_jobGeneration = 0;
    bool m_metricsReady = false;

    QStackedWidget* m_stack = nullptr;
    QLabel* m_placeholder = nullptr;
    QLabel* m_runLabel = nullptr;
    QSpinBox* m_topN = nullptr;
    QComboBox* m_compareCombo = nullptr;
    QPushButton* m_exportRecs = nullptr;
    QPushButton* m_exportMetrics = nullptr;

    QComboBox* m_partCombo = nullptr;
    QLineEdit* m_userSearch = nullptr;
    QTableView* m_userTable = nullptr;
    UserListModel* m_userModel = nullptr;
    QSortFilterProxyModel* m_userProxy = nullptr;
    QLabel* m_metricsStatus = nullptr;

    QTabWidget* m_tabs = nullptr;
    QLabel* m_userSummary = nullptr;
    QTableView* m_historyTable = nullptr;
    ItemListModel* m_historyModel = nullptr;
    QGroupBox* m_missedBox = nullptr;
    QTableView* m_missedTable = nullptr;
    ItemListModel* m_missedModel = nullptr;
    QTableView* m_recsTable = nullptr;
    RecommendationModel* m_recsModel = nullptr;
    QGroupBox* m_compareBox = nullptr;
    QTableView* m_compareTable = nullptr;
    RecommendationModel* m_compareModelView = nullptr;
    QLabel* m_overlapLabel = nullptr;

    QLineEdit* m_tasteSearch = nullptr;
    QTableView* m_tasteResults = nullptr;
    ItemListModel* m_allItemsModel = nullptr;
    QSortFilterProxyModel* m_allItemsProxy = nullptr;
    QPushButton* m_tasteAdd = nullptr;
    QTableView* m_tasteList = nullptr;
    ItemListModel* m_tasteModel = nullptr;
    QPushButton* m_tasteRemove = nullptr;
    QPushButton* m_tasteClear = nullptr;
    QLabel* m_tasteHint = nullptr;
    QTableView* m_tasteRecsTable = nullptr;
    RecommendationModel* m_tasteRecsModel = nullptr;
};

}  // namespace vaecf::ui
