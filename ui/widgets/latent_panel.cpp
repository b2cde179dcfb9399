// SPDX-License-Identifier: MIT
#include "widgets/latent_panel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include "models/neighbour_model.h"
#include "vaecf/error.h"
#include "widgets/latent_scatter.h"

namespace vaecf::ui {

namespace {

constexpr int kTraversalTopK = 10;
constexpr int kNdcgK = 100;

QString partChoiceName(PartChoice p) {
    switch (p) {
    case PartChoice::Train: return LatentPanel::tr("train");
    case PartChoice::Validation: return LatentPanel::tr("validation");
    case PartChoice::Test: return LatentPanel::tr("test");
    case PartChoice::All: return LatentPanel::tr("all parts");
    }
    return {};
}

QStringList toStringList(const std::vector<std::string>& names) {
    QStringList out;
    for (const auto& n : names) out << dataText(n);
    return out;
}

}  // namespace

LatentPanel::LatentPanel(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    setObjectName(QStringLiteral("latentPanel"));
    buildUi();
    connect(m_project, &Project::currentRunChanged, this, [this] { scheduleRefresh(); });
    connect(m_project, &Project::runChanged, this, [this](int id) {
        // A new best snapshot replaces the model: re-encode, keeping the projection settings.
        if (id != m_project->currentRunId()) return;
        const Run* run = m_project->currentRun();
        if (run && run->inspectModel() != m_model) scheduleRefresh();
    });
    connect(m_project, &Project::runRemoved, this, [this] { scheduleRefresh(); });
    connect(m_project, &Project::dataChanged, this, [this] {
        updateColourChoices();
        scheduleRefresh();
    });
    connect(m_project, &Project::userSelected, this, &LatentPanel::onUserSelected);
    updateColourChoices();
    scheduleRefresh();
}

LatentPanel::~LatentPanel() = default;

void LatentPanel::buildUi() {
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("latentStack"));
    outer->addWidget(m_stack);

    m_placeholder = new QLabel(tr("Train a model to see its latent space"));
    m_placeholder->setObjectName(QStringLiteral("latentPlaceholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setForegroundRole(QPalette::PlaceholderText);
    m_stack->addWidget(m_placeholder);

    auto* content = new QWidget;
    m_stack->addWidget(content);
    auto* layout = new QVBoxLayout(content);

    // Controls row.
    auto* controls = new QHBoxLayout;
    m_usersButton = new QToolButton;
    m_usersButton->setObjectName(QStringLiteral("latentUsersButton"));
    m_usersButton->setText(tr("Users"));
    m_usersButton->setCheckable(true);
    m_usersButton->setChecked(true);
    m_itemsButton = new QToolButton;
    m_itemsButton->setObjectName(QStringLiteral("latentItemsButton"));
    m_itemsButton->setText(tr("Items"));
    m_itemsButton->setCheckable(true);
    m_itemsButton->setToolTip(tr("Item embeddings (e.g. the decoder's output weights)"));
    m_subjectGroup = new QButtonGroup(this);
    m_subjectGroup->setExclusive(true);
    m_subjectGroup->addButton(m_usersButton, 0);
    m_subjectGroup->addButton(m_itemsButton, 1);
    controls->addWidget(m_usersButton);
    controls->addWidget(m_itemsButton);

    m_partCombo = new QComboBox;
    m_partCombo->setObjectName(QStringLiteral("latentPartCombo"));
    for (PartChoice p : {PartChoice::Train, PartChoice::Validation, PartChoice::Test, PartChoice::All})
        m_partCombo->addItem(partChoiceName(p), static_cast<int>(p));
    m_partCombo->setToolTip(tr("Which users to encode"));
    controls->addWidget(m_partCombo);

    controls->addSpacing(8);
    controls->addWidget(new QLabel(tr("Projection:")));
    m_projectionCombo = new QComboBox;
    m_projectionCombo->setObjectName(QStringLiteral("latentProjectionCombo"));
    m_projectionCombo->addItem(tr("PCA"), static_cast<int>(ProjectionKind::Pca));
    m_projectionCombo->addItem(tr("t-SNE"), static_cast<int>(ProjectionKind::Tsne));
    controls->addWidget(m_projectionCombo);
    auto* perplexityLabel = new QLabel(tr("Perplexity:"));
    controls->addWidget(perplexityLabel);
    m_perplexity = new QDoubleSpinBox;
    m_perplexity->setObjectName(QStringLiteral("latentPerplexitySpin"));
    m_perplexity->setRange(2, 100);
    m_perplexity->setValue(30);
    m_perplexity->setDecimals(0);
    m_perplexity->setKeyboardTracking(false);
    controls->addWidget(m_perplexity);
    auto* seedLabel = new QLabel(tr("Seed:"));
    controls->addWidget(seedLabel);
    m_seed = new QSpinBox;
    m_seed->setObjectName(QStringLiteral("latentSeedSpin"));
    m_seed->setRange(0, 1'000'000);
    m_seed->setValue(1);
    m_seed->setKeyboardTracking(false);
    controls->addWidget(m_seed);
    auto* capLabel = new QLabel(tr("Max points:"));
    controls->addWidget(capLabel);
    m_cap = new QSpinBox;
    m_cap->setObjectName(QStringLiteral("latentCapSpin"));
    m_cap->setRange(100, 1'000'000);
    m_cap->setSingleStep(5000);
    m_cap->setValue(50'000);
    m_cap->setGroupSeparatorShown(true);
    m_cap->setKeyboardTracking(false);
    m_cap->setToolTip(tr("t-SNE maps at most this many points: a stratified sample of the rest"));
    controls->addWidget(m_cap);
    auto setTsneControlsVisible = [=, this](bool on) {
        for (QWidget* w : std::initializer_list<QWidget*>{perplexityLabel, m_perplexity, seedLabel, m_seed,
                                                          capLabel, m_cap})
            w->setVisible(on);
    };
    setTsneControlsVisible(false);

    controls->addSpacing(8);
    controls->addWidget(new QLabel(tr("Colour by:")));
    m_colourCombo = new QComboBox;
    m_colourCombo->setObjectName(QStringLiteral("latentColourCombo"));
    m_colourCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    controls->addWidget(m_colourCombo);
    controls->addStretch(1);
    layout->addLayout(controls);

    // Status row.
    auto* status = new QHBoxLayout;
    m_info = new QLabel;
    m_info->setObjectName(QStringLiteral("latentInfoLabel"));
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);
    status->addWidget(m_info, 1);
    m_progress = new QProgressBar;
    m_progress->setObjectName(QStringLiteral("latentProgress"));
    m_progress->setMaximumWidth(240);
    m_progress->setVisible(false);
    status->addWidget(m_progress);
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setObjectName(QStringLiteral("latentCancelButton"));
    m_cancel->setVisible(false);
    status->addWidget(m_cancel);
    layout->addLayout(status);

    auto* splitter = new QSplitter(Qt::Horizontal);
    splitter->setObjectName(QStringLiteral("latentSplitter"));
    m_scatter = new LatentScatter;
    m_scatter->setTooltipProvider([this](int i) { return tooltipFor(i); });
    splitter->addWidget(m_scatter);

    auto* side = new QWidget;
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(4, 0, 0, 0);

    auto* searchBox = new QGroupBox(tr("Search"));
    auto* searchLayout = new QVBoxLayout(searchBox);
    m_search = new QLineEdit;
    m_search->setObjectName(QStringLiteral("latentSearchEdit"));
    m_search->setPlaceholderText(tr("User id or item title (regular expression)"));
    m_search->setClearButtonEnabled(true);
    searchLayout->addWidget(m_search);
    auto* searchRow = new QHBoxLayout;
    m_searchCount = new QLabel;
    m_searchCount->setObjectName(QStringLiteral("latentSearchCount"));
    searchRow->addWidget(m_searchCount, 1);
    m_isolate = new QCheckBox(tr("Isolate"));
    m_isolate->setObjectName(QStringLiteral("latentIsolateCheck"));
    m_isolate->setToolTip(tr("Dim every point that does not match"));
    searchRow->addWidget(m_isolate);
    searchLayout->addLayout(searchRow);
    sideLayout->addWidget(searchBox);

    auto* selBox = new QGroupBox(tr("Selection"));
    auto* selLayout = new QVBoxLayout(selBox);
    m_selection = new QLabel(tr("Click a point to select it."));
    m_selection->setObjectName(QStringLiteral("latentSelectionLabel"));
    m_selection->setWordWrap(true);
    m_selection->setTextInteractionFlags(Qt::TextSelectableByMouse);
    selLayout->addWidget(m_selection);
    auto* knnRow = new QHBoxLayout;
    knnRow->addWidget(new QLabel(tr("Neighbours:")));
    m_k = new QSlider(Qt::Horizontal);
    m_k->setObjectName(QStringLiteral("latentNeighbourSlider"));
    m_k->setRange(1, 100);
    m_k->setValue(10);
    knnRow->addWidget(m_k, 1);
    m_kLabel = new QLabel(QStringLiteral("10"));
    m_kLabel->setMinimumWidth(QFontMetrics(font()).horizontalAdvance(QStringLiteral("100")) + 4);
    knnRow->addWidget(m_kLabel);
    m_distance = new QComboBox;
    m_distance->setObjectName(QStringLiteral("latentDistanceCombo"));
    m_distance->addItem(tr("Cosine"), static_cast<int>(core::Distance::Cosine));
    m_distance->addItem(tr("Euclidean"), static_cast<int>(core::Distance::Euclidean));
    m_distance->setToolTip(tr("Distances in the full latent space, not on the 2-D map"));
    knnRow->addWidget(m_distance);
    selLayout->addLayout(knnRow);
    m_neighbourModel = new NeighbourModel(this);
    m_neighbourTable = new QTableView;
    m_neighbourTable->setObjectName(QStringLiteral("latentNeighbourTable"));
    m_neighbourTable->setModel(m_neighbourModel);
    m_neighbourTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_neighbourTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_neighbourTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_neighbourTable->verticalHeader()->setVisible(false);
    m_neighbourTable->horizontalHeader()->setSectionResizeMode(NeighbourModel::LabelColumn, QHeaderView::Stretch);
    m_neighbourTable->horizontalHeader()->setSectionResizeMode(NeighbourModel::RankColumn,
                                                               QHeaderView::ResizeToContents);
    m_neighbourTable->horizontalHeader()->setSectionResizeMode(NeighbourModel::DistanceColumn,
                                                               QHeaderView::ResizeToContents);
    selLayout->addWidget(m_neighbourTable, 1);
    sideLayout->addWidget(selBox, 2);

    auto* travBox = new QGroupBox(tr("Latent traversal"));
    auto* travLayout = new QVBoxLayout(travBox);
    m_traversalNote = new QLabel;
    m_traversalNote->setObjectName(QStringLiteral("latentTraversalNote"));
    m_traversalNote->setWordWrap(true);
    m_traversalNote->setForegroundRole(QPalette::PlaceholderText);
    travLayout->addWidget(m_traversalNote);
    m_traversalList = new QListWidget;
    m_traversalList->setObjectName(QStringLiteral("latentTraversalList"));
    travLayout->addWidget(m_traversalList, 1);
    sideLayout->addWidget(travBox, 1);

    auto* exportRow = new QHBoxLayout;
    const QString names[] = {tr("PNG"), tr("SVG"), tr("CSV"), tr("Embeddings…")};
    const char* ids[] = {"latentExportPng", "latentExportSvg", "latentExportCsv", "latentExportProjector"};
    for (int i = 0; i < 4; ++i) {
        auto* b = new QPushButton(names[i]);
        b->setObjectName(QString::fromLatin1(ids[i]));
        if (i == 3) b->setToolTip(tr("Embeddings for the TensorBoard projector (vectors.tsv, metadata.tsv)"));
        connect(b, &QPushButton::clicked, this, [this, i] { exportWithDialog(i); });
        exportRow->addWidget(b);
    }
    sideLayout->addLayout(exportRow);

    splitter->addWidget(side);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    m_traversalTimer = new QTimer(this);
    m_traversalTimer->setSingleShot(true);
    m_traversalTimer->setInterval(80);
    connect(m_traversalTimer, &QTimer::timeout, this, &LatentPanel::startDecode);

    connect(m_subjectGroup, &QButtonGroup::idToggled, this, [this](int id, bool on) {
        if (!on) return;
        m_subject = id == 1 ? LatentSubject::Items : LatentSubject::Users;
        m_partCombo->setEnabled(m_subject == LatentSubject::Users);
        updateColourChoices();
        m_pointsStale = true;
        scheduleRefresh();
    });
    connect(m_partCombo, &QComboBox::currentIndexChanged, this, [this] {
        updateColourChoices();
        m_pointsStale = true;
        scheduleRefresh();
    });
    connect(m_projectionCombo, &QComboBox::currentIndexChanged, this, [this, setTsneControlsVisible] {
        setTsneControlsVisible(projectionKind() == ProjectionKind::Tsne);
        scheduleRefresh();
    });
    connect(m_perplexity, &QDoubleSpinBox::valueChanged, this, [this] {
        if (projectionKind() == ProjectionKind::Tsne) scheduleRefresh();
    });
    connect(m_seed, &QSpinBox::valueChanged, this, [this] {
        if (projectionKind() == ProjectionKind::Tsne) scheduleRefresh();
    });
    connect(m_cap, &QSpinBox::valueChanged, this, [this] {
        if (projectionKind() == ProjectionKind::Tsne) scheduleRefresh();
    });
    connect(m_colourCombo, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (i < 0) return;
        m_colourBy = static_cast<ColourBy>(m_colourCombo->itemData(i).toInt());
        applyColours();
    });
    connect(m_cancel, &QPushButton::clicked, this, &LatentPanel::cancel);
    connect(m_search, &QLineEdit::textChanged, this, &LatentPanel::applySearch);
    connect(m_isolate, &QCheckBox::toggled, m_scatter, &LatentScatter::setIsolateHighlighted);
    connect(m_k, &QSlider::valueChanged, this, [this](int k) {
        m_kLabel->setText(QString::number(k));
        startNeighbours();
    });
    connect(m_distance, &QComboBox::currentIndexChanged, this, &LatentPanel::startNeighbours);
    connect(m_neighbourTable, &QTableView::activated, this, [this](const QModelIndex& index) {
        onPointClicked(m_neighbourModel->pointAt(index.row()));
    });
    connect(m_scatter, &LatentScatter::pointClicked, this, &LatentPanel::onPointClicked);
    connect(m_scatter, &LatentScatter::traversalMoved, this, &LatentPanel::onTraversalMoved);
}

// ---- controls ---------------------------------------------------------------------------

void LatentPanel::setSubject(LatentSubject subject) {
    (subject == LatentSubject::Items ? m_itemsButton : m_usersButton)->setChecked(true);
}

void LatentPanel::setPart(PartChoice part) {
    m_partCombo->setCurrentIndex(m_partCombo->findData(static_cast<int>(part)));
}

void LatentPanel::setProjection(ProjectionKind kind) {
    m_projectionCombo->setCurrentIndex(m_projectionCombo->findData(static_cast<int>(kind)));
}

ProjectionKind LatentPanel::projectionKind() const {
    return static_cast<ProjectionKind>(m_projectionCombo->currentData().toInt());
}

void LatentPanel::setPerplexity(double perplexity) { m_perplexity->setValue(perplexity); }
void LatentPanel::setSeed(int seed) { m_seed->setValue(seed); }
void LatentPanel::setTsneCap(int cap) { m_cap->setValue(cap); }

bool LatentPanel::setColourBy(ColourBy mode) {
    const int i = m_colourCombo->findData(static_cast<int>(mode));
    if (i < 0) return false;
    m_colourCombo->setCurrentIndex(i);
    return true;
}

void LatentPanel::setSearchText(const QString& pattern) { m_search->setText(pattern); }
void LatentPanel::setIsolate(bool isolate) { m_isolate->setChecked(isolate); }
void LatentPanel::setNeighbourCount(int k) { m_k->setValue(k); }

void LatentPanel::setDistance(core::Distance distance) {
    m_distance->setCurrentIndex(m_distance->findData(static_cast<int>(distance)));
}

void LatentPanel::updateColourChoices() {
    const ColourBy wanted = m_colourBy;
    QSignalBlocker block(m_colourCombo);
    m_colourCombo->clear();
    const DataState* data = m_project->data().get();
    const bool genres = data && !data->split.genreNames.empty() && !data->split.items.empty();
    if (m_subject == LatentSubject::Users) {
        const auto part = static_cast<PartChoice>(m_partCombo->currentData().toInt());
        m_colourCombo->addItem(tr("Activity"), static_cast<int>(ColourBy::Activity));
        if (part != PartChoice::Train) m_colourCombo->addItem(tr("NDCG@100"), static_cast<int>(ColourBy::Ndcg));
        if (genres) m_colourCombo->addItem(tr("Favourite genre"), static_cast<int>(ColourBy::Genre));
        if (data && !data->clusterNames.empty())
            m_colourCombo->addItem(tr("Cluster (ground truth)"), static_cast<int>(ColourBy::Cluster));
    } else {
        if (genres) m_colourCombo->addItem(tr("Main genre"), static_cast<int>(ColourBy::Genre));
        m_colourCombo->addItem(tr("Popularity"), static_cast<int>(ColourBy::Popularity));
    }
    int i = m_colourCombo->findData(static_cast<int>(wanted));
    if (i < 0) i = 0;
    m_colourCombo->setCurrentIndex(i);
    m_colourBy = static_cast<ColourBy>(m_colourCombo->itemData(i).toInt());
}

// ---- map --------------------------------------------------------------------------------

void LatentPanel::scheduleRefresh() {
    if (m_refreshQueued) return;
    m_refreshQueued = true;
    // Coalesces the bursts of signals (run added, made current, data changed) into one job.
    QTimer::singleShot(0, this, [this] {
        m_refreshQueued = false;
        startMap();
    });
}

void LatentPanel::refresh() {
    m_pointsStale = true;
    startMap();
}

void LatentPanel::showPlaceholder(const QString& text) {
    m_mapJob.cancel();
    setBusy(false);
    m_placeholder->setText(text);
    m_stack->setCurrentWidget(m_placeholder);
    m_points.reset();
    m_projection.reset();
    m_scatter->clear();
    m_neighbourModel->clear();
    m_selected = -1;
}

QString LatentPanel::placeholderText() const { return m_placeholder->text(); }
bool LatentPanel::showsPlaceholder() const { return m_stack->currentWidget() == m_placeholder; }

void LatentPanel::startMap() {
    m_data = m_project->data();
    const Run* run = m_project->currentRun();
    std::shared_ptr<const core::Model> model = run ? run->inspectModel() : nullptr;
    if (!m_data || !model || !m_project->runMatchesData(*run)) {
        m_model.reset();
        showPlaceholder(tr("Train a model to see its latent space"));
        return;
    }
    if (model != m_model) m_pointsStale = true;
    m_model = model;
    if (m_subject == LatentSubject::Users && model->latentDim() <= 0) {
        showPlaceholder(tr("%1 has no latent space to map. The autoencoders (VAEs, DAE, BiVAE) have one; "
                               "its items may still be mapped by their embeddings.")
                            .arg(QString::fromStdString(model->info().name)));
        return;
    }
    m_stack->setCurrentIndex(1);

    const ProjectionKind kind = projectionKind();
    LatentRequest request;
    request.subject = m_subject;
    request.part = static_cast<PartChoice>(m_partCombo->currentData().toInt());
    request.cap = kind == ProjectionKind::Tsne ? m_cap->value() : 0;
    request.strata = m_colourBy == ColourBy::Cluster ? Strata::Cluster
                     : m_colourBy == ColourBy::Genre ? Strata::Genre
                                                     : Strata::ActivityDecile;
    request.seed = static_cast<std::uint64_t>(m_seed->value());
    // Reuse the encoded points when only the projection changed and the cap keeps the sample.
    std::shared_ptr<const LatentPoints> reuse;
    if (!m_pointsStale && m_points) {
        const std::int64_t want = request.cap > 0 ? std::min(request.cap, m_points->total) : m_points->total;
        if (want == m_points->size()) reuse = m_points;
    }

    core::TsneOptions tsne;
    tsne.perplexity = m_perplexity->value();
    tsne.seed = static_cast<std::uint64_t>(m_seed->value());
    auto data = m_data;
    setBusy(true);
    m_projection.reset();
    m_scatter->setTraversalEnabled(false);
    m_scatter->setSpecialPoints({}, {});
    m_traversalItems.clear();
    m_traversalList->clear();
    m_progress->setRange(0, 0);
    m_status = reuse ? tr("Projecting…") : (m_subject == LatentSubject::Users ? tr("Encoding users…")
                                                                               : tr("Reading item embeddings…"));
    updateInfo();

    m_mapJob.start<MapResult>(
        [this, model, data, request, kind, tsne, reuse](std::stop_token stop,
                                                        const JobSlot::Post& post) mutable {
            // `this` is only used inside closures that run on the GUI thread.
            MapResult r;
            r.points = reuse ? reuse : buildLatentPoints(*model, *data, request, stop);
            if (stop.stop_requested()) core::fail("cancelled");
            if (request.subject == LatentSubject::Users) {
                const core::Tensor t = model->pseudoInputLatents();
                if (t.rows > 0 && t.cols == model->latentDim())
                    r.pseudo = core::PointSet{t.rows, static_cast<int>(t.cols), t.data};
            }
            if (kind == ProjectionKind::Tsne) {
                const std::int64_t n = r.points->size();
                post([this, n] {
                    m_status = tr("t-SNE of %L1 points…").arg(n);
                    updateInfo();
                });
                using Clock = std::chrono::steady_clock;
                auto last = Clock::now() - std::chrono::seconds(1);
                auto points = r.points;
                tsne.progress = [this, post, stop, last, points](int it, int total,
                                                                 const std::vector<float>& xy) mutable {
                    // Throttled: a map repaint per callback would flood the GUI thread.
                    const auto now = Clock::now();
                    if (now - last >= std::chrono::milliseconds(120) || it >= total) {
                        last = now;
                        auto map = std::make_shared<std::vector<float>>(xy);
                        post([this, it, total, map, points] { onMapProgress(it, total, map, points); });
                    }
                    return !stop.stop_requested();
                };
            }
            r.projection = std::make_shared<const core::Projection2D>(
                projectPoints(r.points->mu, kind, tsne, stop));
            return r;
        },
        [this](MapResult r) { onMapReady(std::move(r)); },
        [this](const QString& message, bool cancelled) { onMapFailed(message, cancelled); });
}

void LatentPanel::onMapProgress(int iteration, int iterations, std::shared_ptr<std::vector<float>> xy,
                                std::shared_ptr<const LatentPoints> points) {
    if (m_progress->maximum() != iterations) m_progress->setRange(0, iterations);
    m_progress->setValue(iteration);
    m_status = tr("t-SNE: iteration %1 of %2").arg(iteration).arg(iterations);
    if (xy && xy->size() == 2 * static_cast<std::size_t>(points->size())) {
        if (points != m_points) {
            // First live map of freshly encoded points: they become the map's points now, so
            // hover and colours work while t-SNE refines the layout.
            m_points = points;
            m_ndcg.clear();
            m_ndcgFor.reset();
            m_selected = -1;
            m_neighbourModel->clear();
            m_scatter->setNeighbours({});
            m_scatter->setSelected(-1);
            m_scatter->setLabels(m_points->labels);
            m_scatter->setPoints(std::move(*xy), true);
            applyColours();
            applySearch();
        } else {
            m_scatter->setPoints(std::move(*xy), true);
        }
    }
    updateInfo();
    Q_EMIT progressChanged(iteration, iterations);
}

void LatentPanel::onMapReady(MapResult result) {
    const bool newPoints = result.points != m_points;
    m_points = result.points;
    m_projection = result.projection;
    m_pointsStale = false;
    if (newPoints) {
        m_ndcg.clear();
        m_ndcgFor.reset();
        m_selected = -1;
        m_neighbourModel->clear();
        m_scatter->setNeighbours({});
        m_scatter->setLabels(m_points->labels);
    }
    m_scatter->setPoints(m_projection->xy, true);
    m_scatter->setTitle(tr("%1 — %2 of %3, %4")
                            .arg(m_project->currentRun() ? m_project->currentRun()->name : QString(),
                                 m_subject == LatentSubject::Users ? tr("users") : tr("items"),
                                 m_subject == LatentSubject::Users
                                     ? partChoiceName(static_cast<PartChoice>(m_partCombo->currentData().toInt()))
                                     : tr("all items"),
                                 projectionKind() == ProjectionKind::Pca ? tr("PCA") : tr("t-SNE")));
    applyColours();
    applySearch();
    const bool pca = !m_projection->axes.empty() && !m_projection->mean.empty();
    m_scatter->setTraversalEnabled(pca);
    m_pseudo = std::move(result.pseudo);
    applyPseudoInputs();
    if (!pca) m_traversalNote->setText(tr("Traversal needs a PCA map: only its inverse is exact."));
    else if (!m_model->hasDecoder()) m_traversalNote->setText(tr("This model has no decoder to traverse."));
    else m_traversalNote->setText(tr("Shift-click the map to place the crosshair, then drag it: the "
                                     "decoder's top items at that point appear here."));
    m_status.clear();
    setBusy(false);
    if (m_subject == LatentSubject::Users && m_project->selectedUser().valid())
        onUserSelected(m_project->selectedUser());
    else if (newPoints)
        updateSelectionInfo();
    else
        selectPoint(m_selected);
    updateInfo();
    Q_EMIT mapReady();
}

void LatentPanel::onMapFailed(const QString& message, bool cancelled) {
    setBusy(false);
    if (cancelled) {
        m_status = tr("Cancelled");
    } else if (m_subject == LatentSubject::Items && (!m_points || m_points->subject != LatentSubject::Items)) {
        showPlaceholder(tr("This model has no item embeddings to map (%1).").arg(message));
        return;
    } else {
        m_status = tr("Failed: %1").arg(message);
        m_project->log(Severity::Error, tr("Latent map: %1").arg(message));
    }
    updateInfo();
}

void LatentPanel::cancel() {
    if (!m_busy) return;
    m_mapJob.cancel();
    setBusy(false);
    m_status = tr("Cancelled");
    m_project->log(Severity::Info, tr("Latent map: projection cancelled"));
    updateInfo();
}

void LatentPanel::setBusy(bool busy) {
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    if (m_busy == busy) return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void LatentPanel::updateInfo() {
    QString text;
    if (m_points) {
        const QString what = m_points->subject == LatentSubject::Users ? tr("users") : tr("items");
        text = tr("Showing %L1 of %L2 %3").arg(m_points->size()).arg(m_points->total).arg(what);
        if (m_points->size() < m_points->total) text += tr(" (stratified sample)");
        if (m_projection && m_projection->explained[0] > 0)
            text += tr(" · PCA explains %1% + %2% of the variance")
                        .arg(m_projection->explained[0] * 100, 0, 'f', 1)
                        .arg(m_projection->explained[1] * 100, 0, 'f', 1);
    }
    if (!m_status.isEmpty()) text = text.isEmpty() ? m_status : text + QStringLiteral(" · ") + m_status;
    m_info->setText(text);
}

QString LatentPanel::statusText() const { return m_info->text(); }

void LatentPanel::setPseudoInputs(core::PointSet latent) {
    m_pseudo = std::move(latent);
    applyPseudoInputs();
}

void LatentPanel::applyPseudoInputs() {
    const bool show = m_pseudo.n > 0 && m_projection && m_points && m_points->subject == LatentSubject::Users;
    m_scatter->setSpecialPoints(show ? projectOnPca(*m_projection, m_pseudo) : std::vector<float>{},
                                tr("Pseudo-inputs"));
}

// ---- colours ----------------------------------------------------------------------------

void LatentPanel::applyColours() {
    if (!m_points || !m_data) return;
    const auto& p = *m_points;
    switch (m_colourBy) {
    case ColourBy::Activity: m_scatter->setValues(p.activity, tr("Interactions"), true); break;
    case ColourBy::Popularity: m_scatter->setValues(p.activity, tr("Popularity"), true); break;
    case ColourBy::Genre: m_scatter->setCategories(p.genre, toStringList(m_data->split.genreNames)); break;
    case ColourBy::Cluster: m_scatter->setCategories(p.cluster, toStringList(m_data->clusterNames)); break;
    case ColourBy::Ndcg:
        if (m_ndcgFor == m_points && m_ndcg.size() == static_cast<std::size_t>(p.size())) {
            m_scatter->setValues(m_ndcg, tr("NDCG@100"), false);
        } else {
            m_scatter->setUniformColour();
            startNdcg();
        }
        break;
    }
}

void LatentPanel::startNdcg() {
    if (!m_points || m_points->subject != LatentSubject::Users || !m_model) return;
    auto model = m_model;
    auto data = m_data;
    auto points = m_points;
    m_status = tr("Computing NDCG@100…");
    updateInfo();
    m_ndcgJob.start<std::vector<float>>(
        [model, data, points](std::stop_token stop, const JobSlot::Post&) {
            return userNdcg(*model, *data, points->users, kNdcgK, stop);
        },
        [this, points](std::vector<float> ndcg) {
            if (points != m_points) return;
            m_ndcg = std::move(ndcg);
            m_ndcgFor = points;
            m_status.clear();
            updateInfo();
            if (m_colourBy == ColourBy::Ndcg) m_scatter->setValues(m_ndcg, tr("NDCG@100"), false);
            Q_EMIT ndcgReady();
        },
        [this](const QString& message, bool) {
            m_status.clear();
            updateInfo();
            m_project->log(Severity::Error, tr("Latent map: NDCG failed: %1").arg(message));
        });
}

// ---- search -----------------------------------------------------------------------------

void LatentPanel::applySearch() {
    const QString pattern = m_search->text();
    if (pattern.isEmpty() || !m_points) {
        m_scatter->setHighlighted({});
        m_searchCount->setText(m_points && !pattern.isEmpty() ? tr("No map yet") : QString());
        return;
    }
    const QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
    if (!re.isValid()) {
        m_scatter->setHighlighted({});
        m_searchCount->setText(tr("Invalid pattern: %1").arg(re.errorString()));
        return;
    }
    std::vector<int> hits;
    const auto& labels = m_points->labels;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (re.match(labels[i]).hasMatch()) hits.push_back(static_cast<int>(i));
    m_searchCount->setText(tr("%Ln match(es)", nullptr, static_cast<int>(hits.size())));
    m_scatter->setHighlighted(std::move(hits));
}

int LatentPanel::searchHitCount() const { return static_cast<int>(m_scatter->highlighted().size()); }

// ---- selection and neighbours -----------------------------------------------------------

int LatentPanel::pointOf(UserRef user) const {
    if (!m_points || m_points->subject != LatentSubject::Users || !user.valid()) return -1;
    const auto& users = m_points->users;
    // Points are ordered by part, then row: binary search.
    auto key = [](const UserRef& u) { return std::pair<int, std::int64_t>(static_cast<int>(u.part), u.row); };
    const auto it = std::lower_bound(users.begin(), users.end(), user,
                                     [&](const UserRef& a, const UserRef& b) { return key(a) < key(b); });
    return it != users.end() && *it == user ? static_cast<int>(it - users.begin()) : -1;
}

UserRef LatentPanel::userAt(int point) const {
    if (!m_points || point < 0 || point >= static_cast<int>(m_points->users.size())) return {};
    return m_points->users[static_cast<std::size_t>(point)];
}

void LatentPanel::onPointClicked(int point) {
    if (!m_points || point < 0 || point >= m_points->size()) return;
    if (m_points->subject == LatentSubject::Users) m_project->selectUser(userAt(point));
    else selectPoint(point);
}

void LatentPanel::onUserSelected(UserRef user) {
    if (!m_points || m_points->subject != LatentSubject::Users) return;
    selectPoint(pointOf(user));
}

void LatentPanel::selectPoint(int point) {
    if (!m_points || point >= m_points->size()) point = -1;
    m_selected = point;
    m_scatter->setSelected(point);
    updateSelectionInfo();
    startNeighbours();
}

void LatentPanel::updateSelectionInfo() {
    m_selectedSigma = std::numeric_limits<double>::quiet_NaN();
    m_scatter->clearEllipse();
    if (!m_points || m_selected < 0) {
        m_selection->setText(tr("Click a point to select it."));
        return;
    }
    const auto i = static_cast<std::size_t>(m_selected);
    const auto& p = *m_points;
    QString text = QStringLiteral("<b>%1</b>").arg(p.labels[i].toHtmlEscaped());
    if (p.subject == LatentSubject::Users && p.logVar.size() == static_cast<std::size_t>(p.size()) * p.mu.dim) {
        const float* lv = p.logVar.data() + i * static_cast<std::size_t>(p.mu.dim);
        m_selectedSigma = meanSigma(lv, p.mu.dim);
        text += tr("<br>Posterior σ (mean over %1 dimensions): %2").arg(p.mu.dim).arg(m_selectedSigma, 0, 'g', 4);
        if (m_projection && !m_projection->axes.empty()) {
            const QSizeF radii = projectedSigma(*m_projection, lv, p.mu.dim);
            m_scatter->setEllipse(m_scatter->pointPosition(m_selected), radii);
            text += tr("<br>±1σ on the map: %1 × %2").arg(radii.width(), 0, 'g', 3).arg(radii.height(), 0, 'g', 3);
        }
    }
    m_selection->setText(text);
}

void LatentPanel::startNeighbours() {
    if (!m_points || m_selected < 0) {
        m_knnJob.cancel();
        m_neighbourModel->clear();
        m_scatter->setNeighbours({});
        return;
    }
    auto points = m_points;
    const int query = m_selected;
    const int k = m_k->value();
    const auto distance = static_cast<core::Distance>(m_distance->currentData().toInt());
    m_knnJob.start<std::vector<core::Neighbour>>(
        [points, query, k, distance](std::stop_token, const JobSlot::Post&) {
            return core::nearestNeighbours(points->mu, points->mu.row(query), k, distance, query);
        },
        [this, points](std::vector<core::Neighbour> found) {
            if (points != m_points) return;
            std::vector<NeighbourModel::Row> rows;
            std::vector<int> indices;
            for (const auto& n : found) {
                const int i = static_cast<int>(n.index);
                rows.push_back({i, points->labels[static_cast<std::size_t>(i)], n.distance});
                indices.push_back(i);
            }
            m_neighbourModel->setRows(std::move(rows));
            m_scatter->setNeighbours(std::move(indices));
            Q_EMIT neighboursReady();
        },
        [this](const QString& message, bool) {
            m_project->log(Severity::Error, tr("Latent map: neighbours failed: %1").arg(message));
        });
}

// ---- traversal --------------------------------------------------------------------------

void LatentPanel::onTraversalMoved(QPointF mapPos) {
    m_traversalPos = mapPos;
    // Throttled: decoding every mouse move would queue far more work than can be shown.
    if (!m_traversalTimer->isActive()) m_traversalTimer->start();
}

void LatentPanel::startDecode() {
    if (!m_projection || m_projection->axes.empty() || !m_model) return;
    if (!m_model->hasDecoder()) {
        m_traversalNote->setText(tr("This model has no decoder to traverse."));
        return;
    }
    auto model = m_model;
    auto data = m_data;
    const std::vector<float> z = latentAt(*m_projection, static_cast<float>(m_traversalPos.x()),
                                          static_cast<float>(m_traversalPos.y()));
    m_decodeJob.start<std::vector<std::int32_t>>(
        [model, z](std::stop_token, const JobSlot::Post&) { return decodeTopItems(*model, z, kTraversalTopK); },
        [this, data](std::vector<std::int32_t> items) {
            m_traversalItems = std::move(items);
            m_traversalList->clear();
            for (std::size_t r = 0; r < m_traversalItems.size(); ++r) {
                const std::int32_t c = m_traversalItems[r];
                auto* item = new QListWidgetItem(QStringLiteral("%1. %2").arg(r + 1).arg(data->itemTitle(c)));
                const QString genres = data->itemGenres(c);
                if (!genres.isEmpty()) item->setToolTip(genres);
                m_traversalList->addItem(item);
            }
            Q_EMIT traversalReady();
        },
        [this](const QString& message, bool) { m_traversalNote->setText(tr("Decoding failed: %1").arg(message)); });
}

// ---- hover ------------------------------------------------------------------------------

QString LatentPanel::tooltipFor(int point) const {
    if (!m_points || !m_data || point < 0 || point >= m_points->size()) return {};
    const auto i = static_cast<std::size_t>(point);
    const auto& p = *m_points;
    QStringList lines;
    if (p.subject == LatentSubject::Users) {
        const UserRef u = p.users[i];
        lines << tr("<b>User %1</b> (%2)").arg(p.labels[i].toHtmlEscaped(), partName(u.part));
        lines << tr("%Ln interaction(s)", nullptr, static_cast<int>(p.activity[i]));
        const std::int32_t c = p.cluster[i];
        if (c >= 0 && static_cast<std::size_t>(c) < m_data->clusterNames.size())
            lines << tr("Cluster: %1").arg(dataText(m_data->clusterNames[static_cast<std::size_t>(c)]).toHtmlEscaped());
        const std::int32_t g = p.genre[i];
        if (g >= 0 && static_cast<std::size_t>(g) < m_data->split.genreNames.size())
            lines << tr("Favourite genre: %1").arg(dataText(m_data->split.genreNames[static_cast<std::size_t>(g)]).toHtmlEscaped());
        if (m_ndcgFor == m_points && i < m_ndcg.size() && std::isfinite(m_ndcg[i]))
            lines << tr("NDCG@100: %1").arg(m_ndcg[i], 0, 'f', 3);
    } else {
        const std::int32_t c = p.items[i];
        lines << QStringLiteral("<b>%1</b>").arg(p.labels[i].toHtmlEscaped());
        const QString genres = m_data->itemGenres(c);
        if (!genres.isEmpty()) lines << genres.toHtmlEscaped();
        lines << tr("Popularity: %L1 training interactions").arg(static_cast<qint64>(p.activity[i]));
    }
    return lines.join(QStringLiteral("<br>"));
}

// ---- exports ----------------------------------------------------------------------------

bool LatentPanel::exportPng(const QString& path) {
    const bool ok = m_scatter->exportPng(path);
    m_project->log(ok ? Severity::Info : Severity::Error,
                   ok ? tr("Latent map saved to %1").arg(path) : tr("Could not write %1").arg(path));
    return ok;
}

bool LatentPanel::exportSvg(const QString& path) {
    const bool ok = m_scatter->exportSvg(path);
    m_project->log(ok ? Severity::Info : Severity::Error,
                   ok ? tr("Latent map saved to %1").arg(path) : tr("Could not write %1").arg(path));
    return ok;
}

bool LatentPanel::exportCsv(const QString& path) {
    const bool ok = m_scatter->exportCsv(path);
    m_project->log(ok ? Severity::Info : Severity::Error,
                   ok ? tr("Map coordinates saved to %1").arg(path) : tr("Could not write %1").arg(path));
    return ok;
}

bool LatentPanel::exportProjector(const QString& folder) {
    if (!m_points || !m_data) {
        m_project->log(Severity::Warning, tr("Latent map: nothing to export yet"));
        return false;
    }
    QString error;
    const bool ok = writeProjectorTsv(*m_points, *m_data, folder, &error);
    m_project->log(ok ? Severity::Info : Severity::Error,
                   ok ? tr("Embeddings saved to %1 (vectors.tsv, metadata.tsv)").arg(folder)
                      : tr("Could not export embeddings: %1").arg(error));
    return ok;
}

void LatentPanel::exportWithDialog(int which) {
    if (!m_points) {
        m_project->log(Severity::Warning, tr("Latent map: nothing to export yet"));
        return;
    }
    switch (which) {
    case 0: {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export map as PNG"), QStringLiteral("latent-map.png"),
                                                          tr("PNG images (*.png)"));
        if (!path.isEmpty()) exportPng(path);
        break;
    }
    case 1: {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export map as SVG"), QStringLiteral("latent-map.svg"),
                                                          tr("SVG images (*.svg)"));
        if (!path.isEmpty()) exportSvg(path);
        break;
    }
    case 2: {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export coordinates"), QStringLiteral("latent-map.csv"),
                                                          tr("CSV files (*.csv)"));
        if (!path.isEmpty()) exportCsv(path);
        break;
    }
    default: {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder for vectors.tsv and metadata.tsv"));
        if (!folder.isEmpty()) exportProjector(folder);
        break;
    }
    }
}

}  // namespace vaecf::ui
