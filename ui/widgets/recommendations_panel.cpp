// SPDX-License-Identifier: MIT
#include "widgets/recommendations_panel.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include <QComboBox>
#include <QEvent>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include "models/item_list_model.h"
#include "models/recommendation_model.h"
#include "models/user_list_model.h"

namespace vaecf::ui {

namespace {

QTableView* makeTable(const QString& name, QAbstractItemModel* model, QWidget* parent) {
    auto* t = new QTableView(parent);
    t->setObjectName(name);
    t->setModel(model);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setSelectionMode(QAbstractItemView::SingleSelection);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setAlternatingRowColors(true);
    t->setWordWrap(false);
    t->verticalHeader()->hide();
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 6);
    t->horizontalHeader()->setStretchLastSection(true);
    t->horizontalHeader()->setHighlightSections(false);
    return t;
}

void sizeRecommendationColumns(QTableView* t) {
    auto* h = t->horizontalHeader();
    h->setStretchLastSection(false);
    h->setSectionResizeMode(RecommendationModel::RankColumn, QHeaderView::ResizeToContents);
    h->setSectionResizeMode(RecommendationModel::HitColumn, QHeaderView::ResizeToContents);
    h->setSectionResizeMode(RecommendationModel::TitleColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(RecommendationModel::GenresColumn, QHeaderView::Interactive);
    h->setSectionResizeMode(RecommendationModel::ScoreColumn, QHeaderView::ResizeToContents);
}

void sizeItemColumns(QTableView* t) {
    auto* h = t->horizontalHeader();
    h->setStretchLastSection(false);
    h->setSectionResizeMode(ItemListModel::TitleColumn, QHeaderView::Stretch);
    h->setSectionResizeMode(ItemListModel::GenresColumn, QHeaderView::Interactive);
    const int x = t->fontMetrics().horizontalAdvance(QLatin1Char('x'));
    h->resizeSection(ItemListModel::GenresColumn, x * 16);
}

QString metricText(double v) {
    return std::isnan(v) ? QStringLiteral("—") : QString::number(v, 'f', 3);
}

}  // namespace

RecommendationsPanel::RecommendationsPanel(Project* project, QWidget* parent)
    : QWidget(parent), m_project(project) {
    setObjectName(QStringLiteral("recommendationsPanel"));
    buildUi();
    connect(m_project, &Project::dataChanged, this, &RecommendationsPanel::onDataChanged);
    connect(m_project, &Project::currentRunChanged, this, [this](int) { updateModel(); });
    connect(m_project, &Project::runChanged, this, &RecommendationsPanel::onRunChanged);
    connect(m_project, &Project::runAdded, this, [this](int) { rebuildCompareCombo(); });
    connect(m_project, &Project::runRemoved, this, [this](int id) {
        if (id == m_compareRunId) setCompareRun(-1);
        rebuildCompareCombo();
    });
    connect(m_project, &Project::userSelected, this, &RecommendationsPanel::onProjectUserSelected);
    onDataChanged();
}

RecommendationsPanel::~RecommendationsPanel() { cancelPartMetrics(); }

void RecommendationsPanel::buildUi() {
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("recsStack"));

    m_placeholder = new QLabel(m_stack);
    m_placeholder->setObjectName(QStringLiteral("recsPlaceholder"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setForegroundRole(QPalette::PlaceholderText);
    m_placeholder->setMargin(24);
    m_stack->addWidget(m_placeholder);

    auto* content = new QWidget(m_stack);
    content->setObjectName(QStringLiteral("recsContent"));
    m_stack->addWidget(content);

    // Header: which run, list length, comparison, exports.
    m_runLabel = new QLabel(content);
    m_runLabel->setObjectName(QStringLiteral("recsRunLabel"));
    m_runLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_topN = new QSpinBox(content);
    m_topN->setObjectName(QStringLiteral("recsTopN"));
    m_topN->setRange(1, 500);
    m_topN->setValue(20);
    m_topN->setToolTip(tr("Length of the recommendation lists"));
    m_compareCombo = new QComboBox(content);
    m_compareCombo->setObjectName(QStringLiteral("recsCompareCombo"));
    m_compareCombo->setToolTip(tr("Show another run's list for the same user side by side"));
    m_compareCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_exportRecs = new QPushButton(tr("Export list…"), content);
    m_exportRecs->setObjectName(QStringLiteral("recsExportRecs"));
    m_exportRecs->setToolTip(tr("Save the shown user's recommendations as CSV"));
    m_exportMetrics = new QPushButton(tr("Export per-user metrics…"), content);
    m_exportMetrics->setObjectName(QStringLiteral("recsExportMetrics"));
    m_exportMetrics->setToolTip(tr("Save NDCG and recall of every user of the listed part as CSV"));

    auto* header = new QHBoxLayout;
    header->addWidget(m_runLabel, 1);
    header->addWidget(new QLabel(tr("Top N:"), content));
    header->addWidget(m_topN);
    header->addSpacing(12);
    header->addWidget(new QLabel(tr("Compare with:"), content));
    header->addWidget(m_compareCombo);
    header->addSpacing(12);
    header->addWidget(m_exportRecs);
    header->addWidget(m_exportMetrics);

    // Left: the user picker.
    auto* picker = new QWidget(content);
    m_partCombo = new QComboBox(picker);
    m_partCombo->setObjectName(QStringLiteral("recsPartCombo"));
    m_partCombo->addItem(tr("Training users"), static_cast<int>(Part::Train));
    m_partCombo->addItem(tr("Validation users"), static_cast<int>(Part::Validation));
    m_partCombo->addItem(tr("Test users"), static_cast<int>(Part::Test));
    m_partCombo->setCurrentIndex(2);
    m_partCombo->setToolTip(
        tr("Held-out metrics and hits exist only for validation and test users"));
    m_userSearch = new QLineEdit(picker);
    m_userSearch->setObjectName(QStringLiteral("recsUserSearch"));
    m_userSearch->setPlaceholderText(tr("Search user id…"));
    m_userSearch->setClearButtonEnabled(true);
    m_userModel = new UserListModel(this);
    m_userProxy = new QSortFilterProxyModel(this);
    m_userProxy->setSourceModel(m_userModel);
    m_userProxy->setSortRole(UserListModel::SortRole);
    m_userProxy->setFilterKeyColumn(UserListModel::IdColumn);
    m_userProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_userProxy->setDynamicSortFilter(true);
    m_userTable = makeTable(QStringLiteral("recsUserTable"), m_userProxy, picker);
    m_userTable->setSortingEnabled(true);
    m_userTable->sortByColumn(-1, Qt::AscendingOrder);  // part order until a header is clicked
    m_userTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_metricsStatus = new QLabel(picker);
    m_metricsStatus->setObjectName(QStringLiteral("recsMetricsStatus"));
    m_metricsStatus->setWordWrap(true);
    auto* pickerLayout = new QVBoxLayout(picker);
    pickerLayout->setContentsMargins(0, 0, 0, 0);
    pickerLayout->addWidget(m_partCombo);
    pickerLayout->addWidget(m_userSearch);
    pickerLayout->addWidget(m_userTable, 1);
    pickerLayout->addWidget(m_metricsStatus);

    // Right: tabs for the selected user and for "your own taste".
    m_tabs = new QTabWidget(content);
    m_tabs->setObjectName(QStringLiteral("recsTabs"));

    auto* userPage = new QWidget(m_tabs);
    userPage->setObjectName(QStringLiteral("recsUserPage"));
    m_userSummary = new QLabel(userPage);
    m_userSummary->setObjectName(QStringLiteral("recsUserSummary"));
    m_userSummary->setWordWrap(true);
    m_userSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* historyBox = new QGroupBox(tr("History"), userPage);
    historyBox->setObjectName(QStringLiteral("recsHistoryBox"));
    m_historyModel = new ItemListModel(this);
    m_historyTable = makeTable(QStringLiteral("recsHistoryTable"), m_historyModel, historyBox);
    sizeItemColumns(m_historyTable);
    auto* historyLayout = new QVBoxLayout(historyBox);
    historyLayout->addWidget(m_historyTable);

    m_missedBox = new QGroupBox(tr("Missed held-out items"), userPage);
    m_missedBox->setObjectName(QStringLiteral("recsMissedBox"));
    m_missedModel = new ItemListModel(this);
    m_missedTable = makeTable(QStringLiteral("recsMissedTable"), m_missedModel, m_missedBox);
    sizeItemColumns(m_missedTable);
    auto* missedLayout = new QVBoxLayout(m_missedBox);
    missedLayout->addWidget(m_missedTable);

    auto* leftSplit = new QSplitter(Qt::Vertical, userPage);
    leftSplit->addWidget(historyBox);
    leftSplit->addWidget(m_missedBox);

    auto* recsBox = new QGroupBox(tr("Recommendations"), userPage);
    recsBox->setObjectName(QStringLiteral("recsListBox"));
    m_recsModel = new RecommendationModel(this);
    m_recsTable = makeTable(QStringLiteral("recsTable"), m_recsModel, recsBox);
    sizeRecommendationColumns(m_recsTable);
    auto* recsLayout = new QVBoxLayout(recsBox);
    recsLayout->addWidget(m_recsTable);

    m_compareBox = new QGroupBox(tr("Compared run"), userPage);
    m_compareBox->setObjectName(QStringLiteral("recsCompareBox"));
    m_compareModelView = new RecommendationModel(this);
    m_compareTable =
        makeTable(QStringLiteral("recsCompareTable"), m_compareModelView, m_compareBox);
    sizeRecommendationColumns(m_compareTable);
    m_overlapLabel = new QLabel(m_compareBox);
    m_overlapLabel->setObjectName(QStringLiteral("recsOverlapLabel"));
    m_overlapLabel->setWordWrap(true);
    auto* compareLayout = new QVBoxLayout(m_compareBox);
    compareLayout->addWidget(m_overlapLabel);
    compareLayout->addWidget(m_compareTable);
    m_compareBox->hide();

    auto* userSplit = new QSplitter(Qt::Horizontal, userPage);
    userSplit->addWidget(leftSplit);
    userSplit->addWidget(recsBox);
    userSplit->addWidget(m_compareBox);
    userSplit->setStretchFactor(0, 2);
    userSplit->setStretchFactor(1, 3);
    userSplit->setStretchFactor(2, 3);
    auto* userLayout = new QVBoxLayout(userPage);
    userLayout->addWidget(m_userSummary);
    userLayout->addWidget(userSplit, 1);
    m_tabs->addTab(userPage, tr("Selected user"));

    auto* tastePage = new QWidget(m_tabs);
    tastePage->setObjectName(QStringLiteral("recsTastePage"));
    auto* searchBox = new QGroupBox(tr("Find titles you like"), tastePage);
    m_tasteSearch = new QLineEdit(searchBox);
    m_tasteSearch->setObjectName(QStringLiteral("recsTasteSearch"));
    m_tasteSearch->setPlaceholderText(tr("Search titles…"));
    m_tasteSearch->setClearButtonEnabled(true);
    m_allItemsModel = new ItemListModel(this);
    m_allItemsProxy = new QSortFilterProxyModel(this);
    m_allItemsProxy->setSourceModel(m_allItemsModel);
    m_allItemsProxy->setFilterKeyColumn(ItemListModel::TitleColumn);
    m_allItemsProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_tasteResults = makeTable(QStringLiteral("recsTasteResults"), m_allItemsProxy, searchBox);
    sizeItemColumns(m_tasteResults);
    m_tasteAdd = new QPushButton(tr("Add"), searchBox);
    m_tasteAdd->setObjectName(QStringLiteral("recsTasteAdd"));
    m_tasteAdd->setToolTip(tr("Add the selected title to your taste (or double-click it)"));
    auto* searchLayout = new QVBoxLayout(searchBox);
    searchLayout->addWidget(m_tasteSearch);
    searchLayout->addWidget(m_tasteResults, 1);
    searchLayout->addWidget(m_tasteAdd, 0, Qt::AlignRight);

    auto* chosenBox = new QGroupBox(tr("Your taste"), tastePage);
    m_tasteModel = new ItemListModel(this);
    m_tasteList = makeTable(QStringLiteral("recsTasteList"), m_tasteModel, chosenBox);
    sizeItemColumns(m_tasteList);
    m_tasteRemove = new QPushButton(tr("Remove"), chosenBox);
    m_tasteRemove->setObjectName(QStringLiteral("recsTasteRemove"));
    m_tasteClear = new QPushButton(tr("Clear"), chosenBox);
    m_tasteClear->setObjectName(QStringLiteral("recsTasteClear"));
    auto* chosenButtons = new QHBoxLayout;
    chosenButtons->addStretch(1);
    chosenButtons->addWidget(m_tasteRemove);
    chosenButtons->addWidget(m_tasteClear);
    auto* chosenLayout = new QVBoxLayout(chosenBox);
    chosenLayout->addWidget(m_tasteList, 1);
    chosenLayout->addLayout(chosenButtons);

    auto* tasteRecsBox = new QGroupBox(tr("Recommended for you"), tastePage);
    m_tasteHint = new QLabel(tasteRecsBox);
    m_tasteHint->setObjectName(QStringLiteral("recsTasteHint"));
    m_tasteHint->setWordWrap(true);
    m_tasteRecsModel = new RecommendationModel(this);
    m_tasteRecsTable = makeTable(QStringLiteral("recsTasteTable"), m_tasteRecsModel, tasteRecsBox);
    sizeRecommendationColumns(m_tasteRecsTable);
    m_tasteRecsTable->hideColumn(
        RecommendationModel::HitColumn);  // a new user has nothing held out
    auto* tasteRecsLayout = new QVBoxLayout(tasteRecsBox);
    tasteRecsLayout->addWidget(m_tasteHint);
    tasteRecsLayout->addWidget(m_tasteRecsTable, 1);

    auto* tasteSplit = new QSplitter(Qt::Horizontal, tastePage);
    tasteSplit->addWidget(searchBox);
    tasteSplit->addWidget(chosenBox);
    tasteSplit->addWidget(tasteRecsBox);
    tasteSplit->setStretchFactor(0, 2);
    tasteSplit->setStretchFactor(1, 2);
    tasteSplit->setStretchFactor(2, 3);
    auto* tasteLayout = new QVBoxLayout(tastePage);
    tasteLayout->addWidget(tasteSplit);
    m_tabs->addTab(tastePage, tr("Your own taste"));

    auto* mainSplit = new QSplitter(Qt::Horizontal, content);
    mainSplit->addWidget(picker);
    mainSplit->addWidget(m_tabs);
    mainSplit->setStretchFactor(0, 1);
    mainSplit->setStretchFactor(1, 4);
    mainSplit->setSizes({340, 1060});  // wide enough for the user list's metric columns

    auto* contentLayout = new QVBoxLayout(content);
    contentLayout->addLayout(header);
    contentLayout->addWidget(mainSplit, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_stack);

    connect(m_topN, &QSpinBox::valueChanged, this, [this] {
        refreshUser();
        refreshTaste();
    });
    connect(m_compareCombo, &QComboBox::activated, this,
            [this](int index) { setCompareRun(m_compareCombo->itemData(index).toInt()); });
    connect(m_exportRecs, &QPushButton::clicked, this,
            &RecommendationsPanel::exportRecommendationsInteractive);
    connect(m_exportMetrics, &QPushButton::clicked, this,
            &RecommendationsPanel::exportPartMetricsInteractive);
    connect(m_partCombo, &QComboBox::activated, this, [this](int index) {
        setPart(static_cast<Part>(m_partCombo->itemData(index).toInt()));
    });
    connect(m_userSearch, &QLineEdit::textChanged, m_userProxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_userTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &RecommendationsPanel::onUserRowChanged);
    connect(m_tasteSearch, &QLineEdit::textChanged, m_allItemsProxy,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_tasteSearch, &QLineEdit::returnPressed, this,
            &RecommendationsPanel::addSelectedTasteItem);
    connect(m_tasteAdd, &QPushButton::clicked, this, &RecommendationsPanel::addSelectedTasteItem);
    connect(m_tasteResults, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        addTasteItem(index.data(ItemListModel::ItemRole).toInt());
    });
    connect(m_tasteRemove, &QPushButton::clicked, this, [this] {
        const QModelIndex index = m_tasteList->currentIndex();
        if (index.isValid()) removeTasteItem(index.data(ItemListModel::ItemRole).toInt());
    });
    connect(m_tasteClear, &QPushButton::clicked, this, &RecommendationsPanel::clearTaste);
    applyPalette();
}

// ----- state -------------------------------------------------------------------------------

std::shared_ptr<const core::Model> RecommendationsPanel::usableModel(const Run* run) const {
    if (!run || !m_data || !m_project->runMatchesData(*run)) return nullptr;
    auto model = run->inspectModel();
    if (!model || !model->initialized() || model->numItems() != m_data->split.numItems())
        return nullptr;
    return model;
}

void RecommendationsPanel::onDataChanged() {
    cancelPartMetrics();
    m_data = m_project->data();
    m_user = {};
    m_taste.clear();
    m_model.reset();
    m_compareModel.reset();
    m_allItemsModel->setAllItems(m_data);
    m_tasteModel->setItems(m_data, {});
    m_userSearch->clear();
    m_userModel->setPart(m_data, static_cast<Part>(m_partCombo->currentData().toInt()));
    m_compareSignature.clear();
    rebuildCompareCombo();
    updateModel(true);
}

void RecommendationsPanel::updateModel(bool force) {
    const Run* run = m_project->currentRun();
    const int runId = run ? run->id : -1;
    auto model = usableModel(run);

    QString why;
    if (!m_data)
        why = tr("Load a dataset, then train a model to see recommendations.");
    else if (!run)
        why = tr("Train a model to see recommendations.");
    else if (!m_project->runMatchesData(*run))
        why = tr("The run “%1” was trained on different data (its split does not match the loaded "
                 "one), so it cannot recommend for these users. Pick or train a run on this data.")
                  .arg(run->name);
    else if (!model)
        why = tr("Train a model to see recommendations: the run “%1” has no weights yet (they "
                 "appear after its first epoch).")
                  .arg(run->name);
    m_placeholder->setText(why);
    m_stack->setCurrentIndex(why.isEmpty() ? 1 : 0);
    if (run) {
        const bool best = run->bestModel != nullptr;
        m_runLabel->setText(
            best && run->bestEpoch > 0
                ? tr("Run: <b>%1</b> (%2, best epoch %3)")
                      .arg(run->name.toHtmlEscaped(), run->modelName().toHtmlEscaped())
                      .arg(run->bestEpoch)
                : tr("Run: <b>%1</b> (%2, %3 weights)")
                      .arg(run->name.toHtmlEscaped(), run->modelName().toHtmlEscaped(),
                           best ? tr("best") : tr("latest")));
    } else {
        m_runLabel->clear();
    }

    if (!force && model == m_model && runId == m_runId) return;
    const bool runSwitched = runId != m_runId;
    m_model = std::move(model);
    m_runId = runId;
    if (runSwitched && m_compareRunId == m_runId) setCompareRun(-1);
    m_compareSignature.clear();
    rebuildCompareCombo();
    startPartMetrics();
    refreshUser();
    refreshTaste();
}

void RecommendationsPanel::onRunChanged(int id) {
    rebuildCompareCombo();
    if (id == m_runId) {
        updateModel();
    } else if (id == m_compareRunId) {
        auto model = usableModel(m_project->run(id));
        if (model != m_compareModel) {
            m_compareModel = std::move(model);
            refreshUser();
        }
    }
}

void RecommendationsPanel::rebuildCompareCombo() {
    // Runs change often while training; rebuild only when the choice itself changed.
    QString signature = QString::number(m_runId);
    std::vector<const Run*> candidates;
    for (const auto& r : m_project->runs()) {
        if (r->id == m_runId || !m_data || !m_project->runMatchesData(*r)) continue;
        candidates.push_back(r.get());
        signature += QLatin1Char('|') + QString::number(r->id) + QLatin1Char(':') + r->name;
    }
    if (signature == m_compareSignature && m_compareCombo->count() > 0) return;
    m_compareSignature = signature;
    const QSignalBlocker block(m_compareCombo);
    m_compareCombo->clear();
    m_compareCombo->addItem(tr("(none)"), -1);
    int selected = 0;
    for (const Run* r : candidates) {
        m_compareCombo->addItem(r->name, r->id);
        if (r->id == m_compareRunId) selected = m_compareCombo->count() - 1;
    }
    m_compareCombo->setCurrentIndex(selected);
    m_compareCombo->setEnabled(!candidates.empty());
    if (selected == 0 && m_compareRunId != -1) setCompareRun(-1);
}

void RecommendationsPanel::setCompareRun(int id) {
    if (id == m_runId || (id != -1 && !m_project->run(id))) id = -1;
    m_compareRunId = id;
    const int index = m_compareCombo->findData(id);
    if (index >= 0) {
        const QSignalBlocker block(m_compareCombo);
        m_compareCombo->setCurrentIndex(index);
    }
    m_compareModel = id == -1 ? nullptr : usableModel(m_project->run(id));
    m_compareBox->setVisible(id != -1);
    refreshUser();
}

int RecommendationsPanel::topN() const { return m_topN->value(); }
void RecommendationsPanel::setTopN(int n) { m_topN->setValue(n); }

const std::vector<Recommendation>& RecommendationsPanel::shownRecommendations() const {
    return m_recsModel->recommendations();
}
const std::vector<Recommendation>& RecommendationsPanel::compareRecommendations() const {
    return m_compareModelView->recommendations();
}
const std::vector<Recommendation>& RecommendationsPanel::tasteRecommendations() const {
    return m_tasteRecsModel->recommendations();
}
bool RecommendationsPanel::partMetricsReady() const { return m_metricsReady; }

// ----- users -------------------------------------------------------------------------------

void RecommendationsPanel::setPart(Part part) {
    const int index = m_partCombo->findData(static_cast<int>(part));
    {
        const QSignalBlocker block(m_partCombo);
        m_partCombo->setCurrentIndex(index);
    }
    if (part == m_userModel->part() &&
        m_userModel->rowCount() == (m_data ? m_data->numUsers(part) : 0))
        return;
    m_userModel->setPart(m_data, part);
    if (m_user.valid() && m_user.part != part) {
        m_user = {};
        refreshUser();
    }
    startPartMetrics();
}

void RecommendationsPanel::onUserRowChanged() {
    const QModelIndex current = m_userTable->selectionModel()->currentIndex();
    if (!current.isValid()) return;
    const UserRef user{m_userModel->part(), current.data(UserListModel::RowRole).toLongLong()};
    if (user == m_user) return;
    m_user = user;
    refreshUser();
    if (!m_syncing) {
        // Tell the other panels (the latent map highlights the user).
        m_syncing = true;
        m_project->selectUser(user);
        m_syncing = false;
    }
}

void RecommendationsPanel::onProjectUserSelected(UserRef user) {
    if (m_syncing || !user.valid() || user == m_user) return;
    showUser(user);
}

void RecommendationsPanel::showUser(UserRef user) {
    if (!m_data || !user.valid() || user.row >= m_data->numUsers(user.part)) return;
    setPart(user.part);
    const QModelIndex source = m_userModel->index(static_cast<int>(user.row), 0);
    QModelIndex proxy = m_userProxy->mapFromSource(source);
    if (!proxy.isValid()) {
        m_userSearch->clear();  // the search hid the user
        proxy = m_userProxy->mapFromSource(source);
    }
    m_syncing = true;
    if (proxy.isValid()) {
        m_userTable->selectionModel()->setCurrentIndex(
            proxy, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_userTable->scrollTo(proxy);
    }
    m_syncing = false;
    if (m_user != user) {
        m_user = user;
        refreshUser();
    }
    m_tabs->setCurrentIndex(0);
}

void RecommendationsPanel::refreshUser() {
    const bool have = m_data && m_user.valid() && m_user.row < m_data->numUsers(m_user.part);
    if (!have) {
        m_historyModel->setItems(m_data, {});
        m_missedModel->setItems(m_data, {});
        m_recsModel->clear();
        m_compareModelView->clear();
        m_overlapLabel->clear();
        m_missedBox->setVisible(false);
        m_userSummary->setText(
            tr("Pick a user in the list (or on the latent map) to see the model's "
               "recommendations."));
        updateActions();
        return;
    }
    const core::CsrMatrix& rows = m_data->rows(m_user.part);
    const core::CsrMatrix* held = m_data->heldOut(m_user.part);
    const auto history = rows.rowIndices(m_user.row);
    m_historyModel->setItems(m_data, {history.begin(), history.end()});
    const QString id = m_data->userText(m_user.part, m_user.row);
    const int n = topN();

    UserEvaluation ev;
    bool ok = false;
    if (m_model) {
        try {
            ev = evaluateUser(*m_model, *m_data, m_user, n);
            ok = true;
        } catch (const std::exception& e) {
            m_project->log(Severity::Error, tr("Recommendations for user %1 failed: %2")
                                                .arg(id, QString::fromStdString(e.what())));
        }
    }
    m_recsModel->setRecommendations(m_data, ok ? ev.top : std::vector<Recommendation>{});
    m_missedModel->setItems(m_data, ok ? ev.missed : std::vector<std::int32_t>{});
    m_missedBox->setVisible(held != nullptr);
    m_missedBox->setTitle(tr("Missed held-out items (%L1)").arg(ok ? ev.missed.size() : 0));

    QString summary;
    if (!held) {
        summary = tr("User <b>%1</b> (training): %L2 items, all excluded from the top %3. Training "
                     "users have no held-out items, so there are no hits or metrics.")
                      .arg(id.toHtmlEscaped())
                      .arg(history.size())
                      .arg(n);
    } else if (ok && ev.heldOutCount == 0) {
        summary = tr("User <b>%1</b> (%2): %L3 fold-in items and no held-out items, so no metrics.")
                      .arg(id.toHtmlEscaped(), partName(m_user.part))
                      .arg(history.size());
    } else if (ok) {
        summary =
            tr("User <b>%1</b> (%2): %L3 fold-in items, %L4 held out. <b>%5 of %4</b> held-out "
               "items in the top %6 · NDCG@100 <b>%7</b> · Recall@20 <b>%8</b> · Recall@50 "
               "<b>%9</b>")
                .arg(id.toHtmlEscaped(), partName(m_user.part))
                .arg(history.size())
                .arg(ev.heldOutCount)
                .arg(ev.hits)
                .arg(n)
                .arg(metricText(ev.ndcg), metricText(ev.recallA), metricText(ev.recallB));
    } else {
        summary = tr("User <b>%1</b> (%2): %L3 items.")
                      .arg(id.toHtmlEscaped(), partName(m_user.part))
                      .arg(history.size());
    }
    m_userSummary->setText(summary);

    // The second run's list for the same user.
    std::vector<Recommendation> other;
    if (m_compareRunId != -1) {
        const Run* cr = m_project->run(m_compareRunId);
        if (!m_compareModel) {
            m_overlapLabel->setText(
                tr("The run “%1” has no usable weights yet.").arg(cr ? cr->name : QString()));
        } else {
            try {
                other = recommendForRow(
                    *m_compareModel, rows, m_user.row, n,
                    held ? held->rowIndices(m_user.row) : std::span<const std::int32_t>{});
            } catch (const std::exception& e) {
                m_project->log(Severity::Error, tr("Recommendations of the compared run failed: %1")
                                                    .arg(QString::fromStdString(e.what())));
            }
            const int overlap = overlapCount(m_recsModel->recommendations(), other);
            m_overlapLabel->setText(tr("<b>%1</b>: %2 of %3 items also in the current run's list "
                                       "(shown in bold).")
                                        .arg(cr ? cr->name.toHtmlEscaped() : QString())
                                        .arg(overlap)
                                        .arg(other.size()));
        }
        m_compareBox->setTitle(tr("Compared run: %1").arg(cr ? cr->name : QString()));
    }
    m_compareModelView->setRecommendations(m_data, other);
    m_compareModelView->setSharedItems(m_recsModel->recommendations());
    m_recsModel->setSharedItems(other);
    updateActions();
}

// ----- per-user metrics of the part ---------------------------------------------------------

void RecommendationsPanel::cancelPartMetrics() {
    if (m_jobCancel) m_jobCancel->store(true);
    m_jobCancel.reset();
    ++m_jobGeneration;  // results of older jobs are ignored when they land
}

void RecommendationsPanel::startPartMetrics() {
    cancelPartMetrics();
    m_metricsReady = false;
    m_userModel->clearMetrics();
    const Part part = m_userModel->part();
    if (!m_data || !m_model) {
        m_metricsStatus->clear();
    } else if (part == Part::Train) {
        m_metricsStatus->setText(tr("Per-user metrics exist only for validation and test users."));
    } else {
        const quint64 generation = m_jobGeneration;
        m_jobCancel = std::make_shared<std::atomic<bool>>(false);
        m_metricsStatus->setText(tr("Computing per-user metrics…"));
        auto* watcher = new QFutureWatcher<PartMetricsResult>(this);
        connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
            watcher->deleteLater();
            if (generation != m_jobGeneration) return;
            PartMetricsResult result = watcher->result();
            m_jobCancel.reset();
            if (result.cancelled) return;
            if (!result.error.isEmpty()) {
                m_metricsStatus->setText(tr("Per-user metrics failed."));
                m_project->log(Severity::Error,
                               tr("Per-user metrics failed: %1").arg(result.error));
                return;
            }
            double sum = 0;
            int scored = 0;
            for (const auto& m : result.users)
                if (m.valid()) {
                    sum += m.ndcg;
                    ++scored;
                }
            m_userModel->setMetrics(std::move(result.users));
            m_metricsReady = m_userModel->hasMetrics();
            m_metricsStatus->setText(scored > 0
                                         ? tr("%L1 users with held-out items: mean NDCG@100 %2.")
                                               .arg(scored)
                                               .arg(sum / scored, 0, 'f', 3)
                                         : tr("No user of this part has held-out items."));
            updateActions();
            Q_EMIT partMetricsComputed(result.part);
        });
        watcher->setFuture(computePartMetricsAsync(m_model, m_data, part, m_jobCancel));
    }
    updateActions();
}

// ----- your own taste -----------------------------------------------------------------------

void RecommendationsPanel::addSelectedTasteItem() {
    QModelIndex index = m_tasteResults->currentIndex();
    if (!index.isValid() && m_allItemsProxy->rowCount() > 0) index = m_allItemsProxy->index(0, 0);
    if (index.isValid()) addTasteItem(index.data(ItemListModel::ItemRole).toInt());
}

void RecommendationsPanel::addTasteItem(std::int32_t item) {
    if (!m_data || item < 0 || item >= m_data->split.numItems()) return;
    if (std::find(m_taste.begin(), m_taste.end(), item) != m_taste.end()) return;
    m_taste.push_back(item);
    refreshTaste();
}

void RecommendationsPanel::removeTasteItem(std::int32_t item) {
    if (std::erase(m_taste, item) > 0) refreshTaste();
}

void RecommendationsPanel::clearTaste() {
    m_taste.clear();
    refreshTaste();
}

void RecommendationsPanel::refreshTaste() {
    m_tasteModel->setItems(m_data, m_taste);
    m_tasteRemove->setEnabled(!m_taste.empty());
    m_tasteClear->setEnabled(!m_taste.empty());
    std::vector<Recommendation> recs;
    if (!m_model) {
        m_tasteHint->setText(tr("Train a model to get recommendations for your taste."));
    } else if (m_taste.empty()) {
        m_tasteHint->setText(
            tr("Add a few titles you like: the model folds them in as a brand-new "
               "user and recommends at once."));
    } else {
        try {
            recs = recommendForItems(*m_model, m_taste, topN());
            m_tasteHint->setText(tr("Top %1 for a new user who likes the %n title(s) on the left.",
                                    nullptr, static_cast<int>(m_taste.size()))
                                     .arg(topN()));
        } catch (const std::exception& e) {
            m_tasteHint->setText(tr("Could not score your taste."));
            m_project->log(Severity::Error, tr("Recommendations for your taste failed: %1")
                                                .arg(QString::fromStdString(e.what())));
        }
    }
    m_tasteRecsModel->setRecommendations(m_data, std::move(recs));
}

// ----- exports ------------------------------------------------------------------------------

namespace {

bool writeText(const QString& path, const QString& text, QString* why) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        *why = file.errorString();
        return false;
    }
    file.write(text.toUtf8());
    if (!file.commit()) {
        *why = file.errorString();
        return false;
    }
    return true;
}

}  // namespace

bool RecommendationsPanel::exportRecommendations(const QString& path) {
    const auto& recs = m_recsModel->recommendations();
    if (!m_data || recs.empty()) {
        m_project->log(Severity::Warning, tr("No recommendations to export: pick a user first."));
        return false;
    }
    QString why;
    if (!writeText(path, recommendationsCsv(*m_data, recs), &why)) {
        m_project->log(Severity::Error, tr("Could not save %1: %2").arg(path, why));
        return false;
    }
    m_project->log(Severity::Info,
                   tr("Saved %L1 recommendations to %2").arg(recs.size()).arg(path));
    return true;
}

bool RecommendationsPanel::exportPartMetrics(const QString& path) {
    if (!m_data || !m_metricsReady) {
        m_project->log(Severity::Warning,
                       tr("No per-user metrics to export: they exist for validation and test users "
                          "once computed for the current run."));
        return false;
    }
    QString why;
    const Part part = m_userModel->part();
    if (!writeText(path, partMetricsCsv(*m_data, part, m_userModel->metrics()), &why)) {
        m_project->log(Severity::Error, tr("Could not save %1: %2").arg(path, why));
        return false;
    }
    m_project->log(Severity::Info, tr("Saved per-user metrics of %L1 %2 users to %3")
                                       .arg(m_userModel->rowCount())
                                       .arg(partName(part), path));
    return true;
}

void RecommendationsPanel::exportRecommendationsInteractive() {
    const auto& ids =
        m_user.valid() && m_data ? m_data->userIds(m_user.part) : std::vector<std::string>{};
    const QString user =
        static_cast<std::size_t>(std::max<std::int64_t>(m_user.row, 0)) < ids.size()
            ? dataText(ids[static_cast<std::size_t>(m_user.row)])
            : QStringLiteral("user");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export recommendations"), QStringLiteral("recommendations-%1.csv").arg(user),
        tr("CSV files (*.csv)"));
    if (!path.isEmpty()) exportRecommendations(path);
}

void RecommendationsPanel::exportPartMetricsInteractive() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export per-user metrics"),
        QStringLiteral("per-user-metrics-%1.csv").arg(partName(m_userModel->part())),
        tr("CSV files (*.csv)"));
    if (!path.isEmpty()) exportPartMetrics(path);
}

// ----- look ---------------------------------------------------------------------------------

void RecommendationsPanel::updateActions() {
    m_exportRecs->setEnabled(!m_recsModel->recommendations().empty());
    m_exportMetrics->setEnabled(m_metricsReady);
}

void RecommendationsPanel::applyPalette() {
    const QPalette p = palette();
    m_recsModel->setPalette(p);
    m_compareModelView->setPalette(p);
    m_tasteRecsModel->setPalette(p);
}

void RecommendationsPanel::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        if (m_recsModel) applyPalette();
    }
}

}  // namespace vaecf::ui
