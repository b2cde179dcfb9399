// SPDX-License-Identifier: MIT
// The Latent map tab: the current run's users (posterior means) or items (embeddings) projected
// to 2-D with PCA or t-SNE, coloured by activity, NDCG, genre or ground-truth cluster, with
// search, full-space nearest neighbours, the selected user's posterior spread, decoder
// traversal on PCA maps, and exports. Every heavy step runs in the background.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <QPointF>
#include <QWidget>

#include "session/latent_jobs.h"
#include "session/project.h"

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QStackedWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace vaecf::ui {

class LatentScatter;
class NeighbourModel;

class LatentPanel : public QWidget {
    Q_OBJECT
public:
    enum class ColourBy { Activity, Ndcg, Genre, Cluster, Popularity };

    explicit LatentPanel(Project* project, QWidget* parent = nullptr);
    ~LatentPanel() override;

    // Controls, as the widgets set them (for menus, scripting and tests).
    void setSubject(LatentSubject subject);
    LatentSubject subject() const { return m_subject; }
    void setPart(PartChoice part);
    void setProjection(ProjectionKind kind);
    ProjectionKind projectionKind() const;
    void setPerplexity(double perplexity);
    void setSeed(int seed);
    void setTsneCap(int cap);  // most points t-SNE maps (sampled, stratified)
    // False when the mode does not apply to the current subject, part or data.
    bool setColourBy(ColourBy mode);
    ColourBy colourBy() const { return m_colourBy; }
    void setSearchText(const QString& pattern);
    void setIsolate(bool isolate);
    void setNeighbourCount(int k);
    void setDistance(core::Distance distance);
    // Extra latent points drawn as diamonds, e.g. the pseudo-inputs' posterior means of a
    // VampPrior model (n x latentDim). Shown on PCA maps, where placing a new point is exact.
    void setPseudoInputs(core::PointSet latent);
    // Re-encodes and re-projects the current run's model.
    void refresh();
    // Stops the running encode or projection.
    void cancel();

    // State.
    bool isBusy() const { return m_busy; }
    LatentScatter* scatter() const { return m_scatter; }
    NeighbourModel* neighbourModel() const { return m_neighbourModel; }
    std::shared_ptr<const LatentPoints> points() const { return m_points; }
    // The finished projection of points() (null while running or after a cancel).
    std::shared_ptr<const core::Projection2D> projection() const { return m_projection; }
    int pointOf(UserRef user) const;  // -1 when not on the map
    UserRef userAt(int point) const;
    // Selects a point (items; users go through Project::selectUser).
    void selectPoint(int point);
    int selectedPoint() const { return m_selected; }
    double selectedSigma() const { return m_selectedSigma; }  // NaN when none
    int searchHitCount() const;
    const std::vector<std::int32_t>& traversalItems() const { return m_traversalItems; }
    QString statusText() const;
    QString placeholderText() const;
    bool showsPlaceholder() const;

    // Exports; false (and a log entry) on failure.
    bool exportPng(const QString& path);
    bool exportSvg(const QString& path);
    bool exportCsv(const QString& path);
    bool exportProjector(const QString& folder);

Q_SIGNALS:
    void mapReady();                 // a finished projection is on the map
    void busyChanged(bool busy);
    void progressChanged(int done, int total);
    void neighboursReady();
    void traversalReady();
    void ndcgReady();

private:
    struct MapResult {
        std::shared_ptr<const LatentPoints> points;
        std::shared_ptr<const core::Projection2D> projection;
        core::PointSet pseudo;  // the model's pseudo-inputs in latent space (VampPrior), or empty
    };

    void buildUi();
    void scheduleRefresh();
    void startMap();
    void onMapProgress(int iteration, int iterations, std::shared_ptr<std::vector<float>> xy,
                       std::shared_ptr<const LatentPoints> points);
    void onMapReady(MapResult result);
    void onMapFailed(const QString& message, bool cancelled);
    void setBusy(bool busy);
    void showPlaceholder(const QString& text);
    void updateColourChoices();
    void applyColours();
    void startNdcg();
    void applySearch();
    void onPointClicked(int point);
    void onUserSelected(UserRef user);
    void startNeighbours();
    void updateSelectionInfo();
    void onTraversalMoved(QPointF mapPos);
    void startDecode();
    void updateInfo();
    void applyPseudoInputs();
    QString tooltipFor(int point) const;
    void exportWithDialog(int which);

    Project* m_project;
    std::shared_ptr<const core::Model> m_model;
    std::shared_ptr<const DataState> m_data;

    LatentSubject m_subject = LatentSubject::Users;
    ColourBy m_colourBy = ColourBy::Activity;
    std::shared_ptr<const LatentPoints> m_points;
    std::shared_ptr<const core::Projection2D> m_projection;
    core::PointSet m_pseudo;
    std::vector<float> m_ndcg;  // per point of m_points, empty until computed
    std::shared_ptr<const LatentPoints> m_ndcgFor;
    int m_selected = -1;
    double m_selectedSigma = 0;
    std::vector<std::int32_t> m_traversalItems;
    QPointF m_traversalPos;
    bool m_busy = false;
    bool m_refreshQueued = false;
    bool m_pointsStale = true;
    QString m_status;

    JobSlot m_mapJob{this};
    JobSlot m_ndcgJob{this};
    JobSlot m_knnJob{this};
    JobSlot m_decodeJob{this};

    QStackedWidget* m_stack = nullptr;
    QLabel* m_placeholder = nullptr;
    QButtonGroup* m_subjectGroup = nullptr;
    QToolButton* m_usersButton = nullptr;
    QToolButton* m_itemsButton = nullptr;
    QComboBox* m_partCombo = nullptr;
    QComboBox* m_projectionCombo = nullptr;
    QDoubleSpinBox* m_perplexity = nullptr;
    QSpinBox* m_seed = nullptr;
    QSpinBox* m_cap = nullptr;
    QComboBox* m_colourCombo = nullptr;
    QLabel* m_info = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    LatentScatter* m_scatter = nullptr;
    QLineEdit* m_search = nullptr;
    QLabel* m_searchCount = nullptr;
    QCheckBox* m_isolate = nullptr;
    QLabel* m_selection = nullptr;
    QSlider* m_k = nullptr;
    QLabel* m_kLabel = nullptr;
    QComboBox* m_distance = nullptr;
    NeighbourModel* m_neighbourModel = nullptr;
    QTableView* m_neighbourTable = nullptr;
    QListWidget* m_traversalList = nullptr;
    QLabel* m_traversalNote = nullptr;
    QTimer* m_traversalTimer = nullptr;
};

}  // namespace vaecf::ui
