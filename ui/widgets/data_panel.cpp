// SPDX-License-Identifier: MIT
#include "widgets/data_panel.h"

#include <algorithm>
#include <cmath>

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include "charts/histogram_chart.h"
#include "session/data_loader.h"
#include "widgets/column_mapper_dialog.h"
#include "widgets/download_dialog.h"

namespace vaecf::ui {

namespace {

const QString kRecentKey = QStringLiteral("data/recentFiles");
constexpr int kMaxRecent = 10;

// Rows of the summary grid: object-name key and label.
struct SummaryRow {
    const char* key;
    const char* label;
};
const SummaryRow kRows[] = {
    {"users", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Users")},
    {"items", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Items")},
    {"interactions", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Interactions")},
    {"density", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Density")},
    {"trainUsers", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Training users")},
    {"validationUsers", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Validation users")},
    {"testUsers", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Test users")},
    {"vocabulary", QT_TRANSLATE_NOOP("vaecf::ui::DataPanel", "Items in the vocabulary")},
};

bool isLiangFolder(const QString& path) {
    const QDir d(path);
    return QFileInfo(path).isDir() && d.exists(QStringLiteral("train.csv")) &&
           d.exists(QStringLiteral("unique_sid.txt"));
}

// Archives and compressed files have no cheap plain-text preview.
bool isPlainFile(const QString& path) {
    static const char* packed[] = {".zip", ".gz", ".xz", ".bz2", ".tar", ".tgz", ".tbz2", ".txz", ".zst"};
    const QString lower = path.toLower();
    return QFileInfo(path).isFile() &&
           std::none_of(std::begin(packed), std::end(packed),
                        [&](const char* ext) { return lower.endsWith(QLatin1String(ext)); });
}

QStringList firstLines(const QString& path, int count) {
    QStringList lines;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return lines;
    while (lines.size() < count && !f.atEnd())
        lines << QString::fromUtf8(f.readLine(64 * 1024)).trimmed();
    return lines;
}

std::vector<std::int64_t> rowLengths(const core::CsrMatrix& m, std::vector<std::int64_t> out = {}) {
    for (std::int64_t r = 0; r < m.rows; ++r)
        out.push_back(m.indptr[static_cast<std::size_t>(r) + 1] - m.indptr[static_cast<std::size_t>(r)]);
    return out;
}

}  // namespace

DataPanel::DataPanel(Project* project, QWidget* parent)
    : QWidget(parent), m_project(project), m_loader(new DataLoader(this)),
      m_previewLoader(new DataLoader(this)), m_previewTimer(new QTimer(this)) {
    setObjectName(QStringLiteral("DataPanel"));
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(200);  // let spin-box typing settle before recomputing
    buildUi();

    connect(m_loader, &DataLoader::started, this, [this] {
        m_progress->setRange(0, 0);
        updateBusy();
    });
    connect(m_loader, &DataLoader::progress, this, [this](qint64 done, qint64 total) {
        if (total <= 0) return;
        m_progress->setRange(0, 1000);
        m_progress->setValue(static_cast<int>(1000.0 * static_cast<double>(done) / static_cast<double>(total)));
    });
    connect(m_loader, &DataLoader::estimated, this, [this](double, const QString& summary) {
        m_project->log(Severity::Info, tr("Reading the data needs %1").arg(summary));
    });
    connect(m_loader, &DataLoader::finished, this, &DataPanel::onLoaded);
    connect(m_loader, &DataLoader::failed, this, &DataPanel::onFailed);
    connect(m_loader, &DataLoader::cancelled, this, [this] {
        setMessage(tr("Loading cancelled; the previous data stays loaded."), false);
        m_project->log(Severity::Info, tr("Loading cancelled"));
        updateBusy();
    });

    connect(m_previewTimer, &QTimer::timeout, this, &DataPanel::startPreview);
    connect(m_previewLoader, &DataLoader::finished, this,
            [this](std::shared_ptr<const DataState> state) {
                m_preview = std::move(state);
                m_previewError.clear();
                showSummary(summarize(*m_preview), true);
                m_previewNote->setText(tr("Preview of the options: Apply to use them."));
                Q_EMIT previewReady();
            });
    connect(m_previewLoader, &DataLoader::failed, this, [this](const QString& message) {
        m_preview.reset();
        m_previewError = message;
        showSummary(std::nullopt, true);
        m_previewNote->setText(tr("These options do not work: %1").arg(message));
        Q_EMIT previewReady();
    });

    connect(m_project, &Project::dataChanged, this, &DataPanel::onDataChanged);
    rebuildRecentMenu();
    onDataChanged();
}

DataPanel::~DataPanel() = default;

void DataPanel::buildUi() {
    auto* content = new QWidget;
    auto* layout = new QVBoxLayout(content);

    // Source.
    m_title = new QLabel(tr("No data loaded"), this);
    m_title->setObjectName(QStringLiteral("dataTitle"));
    m_title->setWordWrap(true);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_open = new QToolButton(this);
    m_open->setObjectName(QStringLiteral("openButton"));
    m_open->setText(tr("Open…"));
    m_open->setToolTip(tr("Open a ratings file or an archive (.zip .gz .xz .bz2 .tar.*); the "
                          "arrow opens a folder (MovieLens folder, Liang split)"));
    m_open->setPopupMode(QToolButton::MenuButtonPopup);
    m_open->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto* openMenu = new QMenu(m_open);
    openMenu->addAction(tr("Open a file or archive…"), this, &DataPanel::showOpenDialog);
    openMenu->addAction(tr("Open a folder…"), this, &DataPanel::showOpenFolderDialog);
    m_open->setMenu(openMenu);
    m_recent = new QToolButton(this);
    m_recent->setObjectName(QStringLiteral("recentButton"));
    m_recent->setText(tr("Recent"));
    m_recent->setPopupMode(QToolButton::InstantPopup);
    m_recentMenu = new QMenu(m_recent);
    m_recent->setMenu(m_recentMenu);
    m_download = new QPushButton(tr("Get MovieLens…"), this);
    m_download->setObjectName(QStringLiteral("downloadButton"));
    m_format = new QComboBox(this);
    m_format->setObjectName(QStringLiteral("formatCombo"));
    m_format->setToolTip(tr("File format; \"auto\" detects it from the names and first lines"));
    try {
        for (const std::string& id : core::formatIds()) {
            if (id == "liang") continue;  // folders are recognised as splits on their own
            m_format->addItem(QString::fromStdString(id), QString::fromStdString(id));
        }
    } catch (const std::exception&) {
    }
    if (m_format->findData(QStringLiteral("auto")) < 0) m_format->insertItem(0, QStringLiteral("auto"), QStringLiteral("auto"));
    m_format->setCurrentIndex(m_format->findData(QStringLiteral("auto")));
    m_skipBadLines = new QCheckBox(tr("Skip malformed lines"), this);
    m_skipBadLines->setObjectName(QStringLiteral("skipBadLinesCheck"));
    m_skipBadLines->setToolTip(tr("Leave lines that cannot be read out of the data (their count "
                                  "and the first of them go to the Log) instead of refusing the "
                                  "file at the first one"));
    connect(m_open, &QToolButton::clicked, this, &DataPanel::showOpenDialog);
    connect(m_download, &QPushButton::clicked, this, &DataPanel::showDownloadDialog);

    auto* sourceRow = new QHBoxLayout;
    sourceRow->addWidget(m_open);
    sourceRow->addWidget(m_recent);
    sourceRow->addWidget(m_download);
    sourceRow->addStretch(1);
    auto* formatRow = new QHBoxLayout;
    formatRow->addWidget(new QLabel(tr("Format:"), this));
    formatRow->addWidget(m_format, 1);
    formatRow->addWidget(m_skipBadLines);

    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("loadProgress"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    connect(m_cancel, &QPushButton::clicked, this, &DataPanel::cancelLoading);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancel);
    m_progress->setVisible(false);
    m_cancel->setVisible(false);

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("messageLabel"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setVisible(false);

    layout->addWidget(m_title);
    layout->addLayout(sourceRow);
    layout->addLayout(formatRow);
    layout->addLayout(progressRow);
    layout->addWidget(m_message);

    // Summary: current numbers and, beside them, those the pending options would give.
    auto* summaryBox = new QGroupBox(tr("Summary"), this);
    summaryBox->setObjectName(QStringLiteral("summaryBox"));
    m_summaryGrid = new QGridLayout(summaryBox);
    m_summaryGrid->addWidget(new QLabel(tr("Current"), summaryBox), 0, 1, Qt::AlignRight);
    m_summaryGrid->addWidget(new QLabel(tr("With the options"), summaryBox), 0, 2, Qt::AlignRight);
    int row = 1;
    for (const SummaryRow& r : kRows) {
        m_summaryGrid->addWidget(new QLabel(tr(r.label), summaryBox), row, 0);
        for (int col : {1, 2}) {
            auto* v = new QLabel(QStringLiteral("–"), summaryBox);
            v->setObjectName(QLatin1String(col == 1 ? "current_" : "preview_") + QLatin1String(r.key));
            v->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            v->setTextInteractionFlags(Qt::TextSelectableByMouse);
            m_summaryGrid->addWidget(v, row, col);
        }
        ++row;
    }
    m_asRead = new QLabel(summaryBox);
    m_asRead->setObjectName(QStringLiteral("asReadLabel"));
    m_asRead->setWordWrap(true);
    m_summaryGrid->addWidget(m_asRead, row, 0, 1, 3);
    layout->addWidget(summaryBox);

    m_userHist = new HistogramChart(tr("User activity"), tr("interactions per user"), tr("users"), this);
    m_userHist->setObjectName(QStringLiteral("userActivityChart"));
    m_userHist->setBarColour(Project::paletteColour(0));
    m_itemHist = new HistogramChart(tr("Item popularity"), tr("interactions per item"), tr("items"), this);
    m_itemHist->setObjectName(QStringLiteral("itemPopularityChart"));
    m_itemHist->setBarColour(Project::paletteColour(1));
    layout->addWidget(m_userHist);
    layout->addWidget(m_itemHist);

    // Preprocessing and split.
    auto* optionsBox = new QGroupBox(tr("Preprocessing and split"), this);
    optionsBox->setObjectName(QStringLiteral("optionsBox"));
    auto* form = new QFormLayout(optionsBox);
    m_implicit = new QCheckBox(tr("Implicit: keep all interactions"), optionsBox);
    m_implicit->setObjectName(QStringLiteral("implicitCheck"));
    m_threshold = new QDoubleSpinBox(optionsBox);
    m_threshold->setObjectName(QStringLiteral("thresholdSpin"));
    m_threshold->setRange(-1e6, 1e6);
    m_threshold->setDecimals(2);
    m_threshold->setSingleStep(0.5);
    m_threshold->setValue(3.5);
    m_threshold->setToolTip(tr("Keep interactions whose rating is above this value"));
    connect(m_implicit, &QCheckBox::toggled, m_threshold, &QWidget::setDisabled);
    m_minUser = new QSpinBox(optionsBox);
    m_minUser->setObjectName(QStringLiteral("minUserSpin"));
    m_minUser->setRange(0, 1000000);
    m_minUser->setValue(5);
    m_minItem = new QSpinBox(optionsBox);
    m_minItem->setObjectName(QStringLiteral("minItemSpin"));
    m_minItem->setRange(0, 1000000);
    m_heldOutMode = new QComboBox(optionsBox);
    m_heldOutMode->setObjectName(QStringLiteral("heldOutModeCombo"));
    m_heldOutMode->addItem(tr("Fraction of users"));
    m_heldOutMode->addItem(tr("Number of users"));
    m_heldOutFraction = new QDoubleSpinBox(optionsBox);
    m_heldOutFraction->setObjectName(QStringLiteral("heldOutFractionSpin"));
    m_heldOutFraction->setRange(0.001, 0.499);
    m_heldOutFraction->setDecimals(3);
    m_heldOutFraction->setSingleStep(0.01);
    m_heldOutFraction->setValue(0.1);
    m_heldOutCount = new QSpinBox(optionsBox);
    m_heldOutCount->setObjectName(QStringLiteral("heldOutCountSpin"));
    m_heldOutCount->setRange(1, 100000000);
    m_heldOutCount->setValue(10000);
    m_heldOutCount->setVisible(false);
    connect(m_heldOutMode, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_heldOutFraction->setVisible(i == 0);
        m_heldOutCount->setVisible(i == 1);
    });
    auto* heldOutRow = new QHBoxLayout;
    heldOutRow->addWidget(m_heldOutMode);
    heldOutRow->addWidget(m_heldOutFraction, 1);
    heldOutRow->addWidget(m_heldOutCount, 1);
    m_testProportion = new QDoubleSpinBox(optionsBox);
    m_testProportion->setObjectName(QStringLiteral("testProportionSpin"));
    m_testProportion->setRange(0.01, 0.99);
    m_testProportion->setSingleStep(0.05);
    m_testProportion->setValue(0.2);
    m_testProportion->setToolTip(tr("Share of each held-out user's items to predict (the rest is the fold-in)"));
    m_splitSeed = new QSpinBox(optionsBox);
    m_splitSeed->setObjectName(QStringLiteral("splitSeedSpin"));
    m_splitSeed->setRange(0, std::numeric_limits<int>::max());
    m_splitSeed->setValue(98765);
    m_recipe = new QComboBox(optionsBox);
    m_recipe->setObjectName(QStringLiteral("recipeCombo"));
    m_recipe->addItem(tr("Liang's notebook (NumPy)"), QStringLiteral("notebook"));
    m_recipe->addItem(tr("Python random"), QStringLiteral("python"));
    m_apply = new QPushButton(tr("Apply"), optionsBox);
    m_apply->setObjectName(QStringLiteral("applyButton"));
    m_apply->setToolTip(tr("Rebuild the data with these options"));
    connect(m_apply, &QPushButton::clicked, this, &DataPanel::apply);
    m_previewNote = new QLabel(optionsBox);
    m_previewNote->setObjectName(QStringLiteral("previewNote"));
    m_previewNote->setWordWrap(true);
    form->addRow(m_implicit);
    form->addRow(tr("Rating above:"), m_threshold);
    form->addRow(tr("Min. interactions per user:"), m_minUser);
    form->addRow(tr("Min. interactions per item:"), m_minItem);
    form->addRow(tr("Held-out users:"), heldOutRow);
    form->addRow(tr("Test proportion:"), m_testProportion);
    form->addRow(tr("Split seed:"), m_splitSeed);
    form->addRow(tr("Recipe:"), m_recipe);
    form->addRow(m_previewNote);
    form->addRow(m_apply);
    layout->addWidget(optionsBox);

    connect(m_implicit, &QCheckBox::toggled, this, &DataPanel::schedulePreview);
    for (QDoubleSpinBox* s : {m_threshold, m_heldOutFraction, m_testProportion})
        connect(s, &QDoubleSpinBox::valueChanged, this, &DataPanel::schedulePreview);
    for (QSpinBox* s : {m_minUser, m_minItem, m_heldOutCount, m_splitSeed})
        connect(s, &QSpinBox::valueChanged, this, &DataPanel::schedulePreview);
    for (QComboBox* c : {m_heldOutMode, m_recipe})
        connect(c, &QComboBox::currentIndexChanged, this, &DataPanel::schedulePreview);

    // Demo generator.
    auto* demoBox = new QGroupBox(tr("Demo data"), this);
    demoBox->setObjectName(QStringLiteral("demoBox"));
    auto* demoForm = new QFormLayout(demoBox);
    const core::DemoOptions defaults;
    auto spin = [demoBox](const char* name, int lo, int hi, int value) {
        auto* s = new QSpinBox(demoBox);
        s->setObjectName(QLatin1String(name));
        s->setRange(lo, hi);
        s->setValue(value);
        return s;
    };
    m_demoUsers = spin("demoUsersSpin", 20, 2000000, static_cast<int>(defaults.users));
    m_demoItems = spin("demoItemsSpin", 10, 1000000, static_cast<int>(defaults.items));
    m_demoClusters = spin("demoClustersSpin", 1, 64, defaults.clusters);
    m_demoSeed = spin("demoSeedSpin", 0, std::numeric_limits<int>::max(), static_cast<int>(defaults.seed));
    m_demoNoise = new QDoubleSpinBox(demoBox);
    m_demoNoise->setObjectName(QStringLiteral("demoNoiseSpin"));
    m_demoNoise->setRange(0, 1);
    m_demoNoise->setSingleStep(0.05);
    m_demoNoise->setValue(defaults.noise);
    m_demoActivity = new QDoubleSpinBox(demoBox);
    m_demoActivity->setObjectName(QStringLiteral("demoActivitySpin"));
    m_demoActivity->setRange(1, 100000);
    m_demoActivity->setDecimals(1);
    m_demoActivity->setValue(defaults.meanActivity);
    m_generate = new QPushButton(tr("Generate"), demoBox);
    m_generate->setObjectName(QStringLiteral("generateButton"));
    connect(m_generate, &QPushButton::clicked, this, &DataPanel::generate);
    demoForm->addRow(tr("Users:"), m_demoUsers);
    demoForm->addRow(tr("Items:"), m_demoItems);
    demoForm->addRow(tr("Taste clusters:"), m_demoClusters);
    demoForm->addRow(tr("Noise:"), m_demoNoise);
    demoForm->addRow(tr("Mean activity:"), m_demoActivity);
    demoForm->addRow(tr("Seed:"), m_demoSeed);
    demoForm->addRow(m_generate);
    layout->addWidget(demoBox);
    layout->addStretch(1);

    auto* scroll = new QScrollArea(this);
    scroll->setObjectName(QStringLiteral("dataScroll"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
}

// --- Options -------------------------------------------------------------------------------

core::PreprocessOptions DataPanel::preprocessOptions() const {
    core::PreprocessOptions p;
    p.ratingThreshold = m_implicit->isChecked() ? std::nan("") : m_threshold->value();
    p.minUserInteractions = m_minUser->value();
    p.minItemInteractions = m_minItem->value();
    return p;
}

core::SplitOptions DataPanel::splitOptions() const {
    core::SplitOptions s;
    s.heldOutUsers = m_heldOutMode->currentIndex() == 1 ? m_heldOutCount->value() : 0;
    s.heldOutFraction = m_heldOutFraction->value();
    s.testProportion = m_testProportion->value();
    s.seed = static_cast<std::uint32_t>(m_splitSeed->value());
    s.recipe = m_recipe->currentData().toString() == QLatin1String("python")
                   ? core::SplitRecipe::PythonRandom
                   : core::SplitRecipe::LiangNotebook;
    return s;
}

core::DemoOptions DataPanel::demoOptions() const {
    core::DemoOptions d;
    d.users = m_demoUsers->value();
    d.items = m_demoItems->value();
    d.clusters = m_demoClusters->value();
    d.noise = m_demoNoise->value();
    d.meanActivity = m_demoActivity->value();
    d.seed = static_cast<std::uint64_t>(m_demoSeed->value());
    return d;
}

void DataPanel::syncOptionsFrom(const DataSource& source) {
    // Show the options the data was built with, without triggering a preview per widget.
    const QList<QWidget*> widgets = {m_implicit, m_threshold, m_minUser, m_minItem,
                                     m_heldOutMode, m_heldOutFraction, m_heldOutCount,
                                     m_testProportion, m_splitSeed, m_recipe};
    std::vector<std::unique_ptr<QSignalBlocker>> blockers;
    for (QWidget* w : widgets) blockers.push_back(std::make_unique<QSignalBlocker>(w));
    const bool implicit = std::isnan(source.prep.ratingThreshold);
    m_implicit->setChecked(implicit);
    m_threshold->setEnabled(!implicit);
    if (!implicit) m_threshold->setValue(source.prep.ratingThreshold);
    m_minUser->setValue(source.prep.minUserInteractions);
    m_minItem->setValue(source.prep.minItemInteractions);
    const bool count = source.split.heldOutUsers > 0;
    m_heldOutMode->setCurrentIndex(count ? 1 : 0);
    m_heldOutFraction->setVisible(!count);
    m_heldOutCount->setVisible(count);
    if (count) m_heldOutCount->setValue(static_cast<int>(std::min<std::int64_t>(source.split.heldOutUsers, m_heldOutCount->maximum())));
    m_heldOutFraction->setValue(source.split.heldOutFraction);
    m_testProportion->setValue(source.split.testProportion);
    m_splitSeed->setValue(static_cast<int>(std::min<std::uint32_t>(source.split.seed, std::numeric_limits<int>::max())));
    m_recipe->setCurrentIndex(source.split.recipe == core::SplitRecipe::PythonRandom ? 1 : 0);
    if (source.kind != DataSource::Kind::Demo) m_skipBadLines->setChecked(source.read.skipBadLines);
    if (source.kind == DataSource::Kind::Demo) {
        for (QWidget* w : QList<QWidget*>{m_demoUsers, m_demoItems, m_demoClusters, m_demoNoise,
                                          m_demoActivity, m_demoSeed})
            blockers.push_back(std::make_unique<QSignalBlocker>(w));
        m_demoUsers->setValue(static_cast<int>(source.demo.users));
        m_demoItems->setValue(static_cast<int>(source.demo.items));
        m_demoClusters->setValue(source.demo.clusters);
        m_demoNoise->setValue(source.demo.noise);
        m_demoActivity->setValue(source.demo.meanActivity);
        m_demoSeed->setValue(static_cast<int>(source.demo.seed));
    }
}

DataSource DataPanel::pendingSource() const {
    DataSource s;
    if (const auto d = m_project->data()) s = d->source;
    s.prep = preprocessOptions();
    s.split = splitOptions();
    return s;
}

// --- Summary -------------------------------------------------------------------------------

DataPanel::Summary DataPanel::summarize(const DataState& st) {
    Summary s;
    s.trainUsers = st.split.train.rows;
    s.validationUsers = st.split.validation.foldIn.rows;
    s.testUsers = st.split.test.foldIn.rows;
    s.vocabulary = st.split.numItems();
    if (st.raw) {
        s.users = st.report.usersOut;
        s.items = st.report.itemsOut;
        s.interactions = st.report.interactionsOut;
    } else {  // a Liang folder: only the split is known
        s.users = s.trainUsers + s.validationUsers + s.testUsers;
        s.items = s.vocabulary;
        s.interactions = st.split.train.nnz() + st.split.validation.foldIn.nnz() +
                         st.split.validation.heldOut.nnz() + st.split.test.foldIn.nnz() +
                         st.split.test.heldOut.nnz();
    }
    if (s.users > 0 && s.items > 0)
        s.density = static_cast<double>(s.interactions) /
                    (static_cast<double>(s.users) * static_cast<double>(s.items));
    return s;
}

std::optional<DataPanel::Summary> DataPanel::currentSummary() const {
    if (const auto d = m_project->data()) return summarize(*d);
    return std::nullopt;
}

std::optional<DataPanel::Summary> DataPanel::previewSummary() const {
    if (m_preview) return summarize(*m_preview);
    return std::nullopt;
}

void DataPanel::showSummary(const std::optional<Summary>& s, bool preview) {
    const QLocale loc;
    const QString prefix = QLatin1String(preview ? "preview_" : "current_");
    auto set = [&](const char* key, const QString& text) {
        if (auto* l = findChild<QLabel*>(prefix + QLatin1String(key))) l->setText(text);
    };
    auto num = [&](std::int64_t v) { return s ? loc.toString(static_cast<qlonglong>(v)) : QStringLiteral("–"); };
    set("users", num(s ? s->users : 0));
    set("items", num(s ? s->items : 0));
    set("interactions", num(s ? s->interactions : 0));
    set("density", s ? loc.toString(100.0 * s->density, 'f', s->density < 0.001 ? 4 : 2) + QLatin1Char('%')
                     : QStringLiteral("–"));
    set("trainUsers", num(s ? s->trainUsers : 0));
    set("validationUsers", num(s ? s->validationUsers : 0));
    set("testUsers", num(s ? s->testUsers : 0));
    set("vocabulary", num(s ? s->vocabulary : 0));
}

void DataPanel::onDataChanged() {
    const auto d = m_project->data();
    m_preview.reset();
    m_previewError.clear();
    m_previewTimer->stop();
    m_previewLoader->cancel();
    showSummary(std::nullopt, true);
    m_previewNote->clear();
    if (!d) {
        m_title->setText(tr("No data loaded"));
        showSummary(std::nullopt, false);
        m_asRead->clear();
        m_userHist->clear();
        m_itemHist->clear();
        m_apply->setEnabled(false);
        return;
    }
    m_title->setText(d->title());
    m_title->setToolTip(d->source.describe());
    showSummary(summarize(*d), false);
    const QLocale loc;
    if (d->raw) {
        QString text = tr("As read: %1 users, %2 items, %3 interactions; %4 below the rating "
                          "threshold, %5 users and %6 items dropped.")
                           .arg(loc.toString(static_cast<qlonglong>(d->report.usersIn)),
                                loc.toString(static_cast<qlonglong>(d->report.itemsIn)),
                                loc.toString(static_cast<qlonglong>(d->report.interactionsIn)),
                                loc.toString(static_cast<qlonglong>(d->report.belowThreshold)),
                                loc.toString(static_cast<qlonglong>(d->report.usersDropped)),
                                loc.toString(static_cast<qlonglong>(d->report.itemsDropped)));
        const core::ReadReport& r = d->readReport;
        if (r.skippedLines > 0)
            text += QLatin1Char(' ') + tr("Malformed lines skipped: %1 (see the Log).")
                                          .arg(loc.toString(static_cast<qlonglong>(r.skippedLines)));
        if (r.duplicates > 0)
            text += QLatin1Char(' ') + tr("Repeated (user, item) pairs: %1, the first of each kept.")
                                          .arg(loc.toString(static_cast<qlonglong>(r.duplicates)));
        m_asRead->setText(text);
    } else {
        QString text = tr("A ready-made split: preprocessing and split options do not apply.");
        if (d->readReport.skippedLines > 0)
            text += QLatin1Char(' ') + tr("Malformed lines skipped: %1 (see the Log).")
                                          .arg(loc.toString(static_cast<qlonglong>(d->readReport.skippedLines)));
        m_asRead->setText(text);
    }

    // Histograms over every interaction of the prepared data (all three parts for a split).
    std::vector<std::int64_t> perUser, perItem;
    if (d->raw && d->dataset.numUsers() > 0) {
        const auto& m = d->dataset.interactions;
        perUser = rowLengths(m);
        perItem.assign(static_cast<std::size_t>(m.cols), 0);
        for (std::int32_t c : m.indices) ++perItem[static_cast<std::size_t>(c)];
    } else {
        perUser = rowLengths(d->split.train);
        for (const core::HeldOut* h : {&d->split.validation, &d->split.test}) {
            for (std::int64_t r = 0; r < h->foldIn.rows; ++r) {
                const auto row = static_cast<std::size_t>(r);
                perUser.push_back(h->foldIn.indptr[row + 1] - h->foldIn.indptr[row] +
                                  (r < h->heldOut.rows ? h->heldOut.indptr[row + 1] - h->heldOut.indptr[row] : 0));
            }
        }
        perItem = d->itemPopularity;
    }
    m_userHist->setValues(perUser);
    m_itemHist->setValues(perItem);
    syncOptionsFrom(d->source);
    const bool adjustable = d->raw != nullptr;
    for (QWidget* w : QList<QWidget*>{m_implicit, m_minUser, m_minItem, m_heldOutMode,
                                      m_heldOutFraction, m_heldOutCount, m_testProportion,
                                      m_splitSeed, m_recipe})
        w->setEnabled(adjustable);
    m_threshold->setEnabled(adjustable && !m_implicit->isChecked());
    m_apply->setEnabled(adjustable && !isBusy());
}

// --- Preview -------------------------------------------------------------------------------

void DataPanel::schedulePreview() {
    m_preview.reset();
    showSummary(std::nullopt, true);
    const auto d = m_project->data();
    if (!d || !d->raw) return;
    m_previewNote->setText(tr("Computing the effect of the options…"));
    m_previewTimer->start();
}

void DataPanel::startPreview() {
    const auto d = m_project->data();
    if (!d || !d->raw) return;
    m_previewLoader->load(pendingSource(), d->raw);
}

// --- Loading -------------------------------------------------------------------------------

void DataPanel::load(const DataSource& source, std::shared_ptr<const core::Dataset> raw) {
    setMessage({}, false);
    m_progress->setRange(0, 0);
    m_project->log(Severity::Info, tr("Loading %1").arg(source.describe()));
    m_loader->load(source, std::move(raw));
    updateBusy();
}

void DataPanel::openPath(const QString& rawPath) {
    const QString path = QDir::cleanPath(rawPath);
    if (!QFileInfo::exists(path)) {
        onFailed(tr("%1: no such file or folder").arg(path));
        return;
    }
    ++m_probe;  // a newer request makes any pending probe stale
    m_probing = false;
    DataSource source;
    source.path = path;
    source.prep = preprocessOptions();
    source.split = splitOptions();
    source.read.skipBadLines = m_skipBadLines->isChecked();
    if (isLiangFolder(path)) {
        source.kind = DataSource::Kind::LiangFolder;
        load(source);
        return;
    }
    source.kind = DataSource::Kind::File;
    const QString format = m_format->currentData().toString();
    source.read.format = format.toStdString();
    if (format != QLatin1String("auto") && format != QLatin1String("delimited")) {
        load(source);
        return;
    }
    // Detection may decompress part of an archive: do it off the GUI thread.
    m_probing = true;
    updateBusy();
    const quint64 probe = m_probe;
    const bool detect = format == QLatin1String("auto");
    const QPointer<DataPanel> self(this);
    (void)QtConcurrent::run(jobPool(), [self, probe, path, detect, source] {
        QString detected = QStringLiteral("delimited");
        QString error;
        QStringList lines;
        try {
            if (detect) detected = QString::fromStdString(core::detectFormat(path.toStdString()));
            if (detected == QLatin1String("delimited") && isPlainFile(path)) lines = firstLines(path, 12);
        } catch (const std::exception& e) {
            error = QString::fromUtf8(e.what());
        } catch (...) {
            error = QStringLiteral("%1: cannot tell the format").arg(path);
        }
        // QPointer is only read on the GUI thread: the queued call checks it there.
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, probe, detected, error, lines, source]() mutable {
                if (!self || probe != self->m_probe || !self->m_probing) return;
                self->m_probing = false;
                self->updateBusy();
                if (!error.isEmpty()) {
                    self->onFailed(error);
                } else if (detected == QLatin1String("liang")) {
                    source.kind = DataSource::Kind::LiangFolder;
                    self->load(source);
                } else if (detected == QLatin1String("delimited")) {
                    self->loadWithMapper(source.path, lines, source.read);
                } else {
                    source.read.format = detected.toStdString();
                    self->load(source);
                }
            },
            Qt::QueuedConnection);
    });
}

void DataPanel::loadWithMapper(const QString& path, const QStringList& lines,
                               const core::ReadOptions& read) {
    // Window-modal and asynchronous, so the event loop (and loading elsewhere) keeps going.
    auto* dlg = new ColumnMapperDialog(path, lines, read, this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &QDialog::accepted, this, [this, dlg, path] {
        DataSource source;
        source.kind = DataSource::Kind::File;
        source.path = path;
        source.read = dlg->options();
        source.prep = preprocessOptions();
        source.split = splitOptions();
        load(source);
    });
    dlg->open();
}

void DataPanel::onLoaded(std::shared_ptr<const DataState> state) {
    updateBusy();
    if (!state) return;
    const bool fromFile = state->source.kind != DataSource::Kind::Demo;
    const QString path = state->source.path;
    setMessage({}, false);
    m_project->log(Severity::Info, tr("Loaded %1: %2 users, %3 items")
                                       .arg(state->title())
                                       .arg(summarize(*state).users)
                                       .arg(summarize(*state).vocabulary));
    // What reading left out, once per read (not again when only the options change).
    const auto before = m_project->data();
    if (state->source.kind == DataSource::Kind::LiangFolder ||
        (state->raw && (!before || before->raw != state->raw))) {
        const core::ReadReport& r = state->readReport;
        if (const std::string s = r.skippedSummary(); !s.empty())
            m_project->log(Severity::Warning, QString::fromStdString(s));
        if (const std::string s = r.duplicatesSummary(); !s.empty())
            m_project->log(Severity::Info, QString::fromStdString(s));
    }
    m_project->setData(std::move(state));
    if (fromFile) addRecent(path);
}

void DataPanel::onFailed(const QString& message) {
    m_project->log(Severity::Error, message);
    setMessage(tr("Could not load the data: %1").arg(message), true);
    updateBusy();
    Q_EMIT loadFailed(message);
}

void DataPanel::setMessage(const QString& text, bool error) {
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    // Link colour stands out from body text in light and dark palettes alike.
    m_message->setForegroundRole(error ? QPalette::Link : QPalette::WindowText);
}

void DataPanel::apply() {
    const auto d = m_project->data();
    if (!d || !d->raw) return;
    const DataSource source = pendingSource();
    if (m_preview && m_preview->source.toJson() == source.toJson()) {
        // The preview already built exactly this state.
        m_project->log(Severity::Info, tr("Applied the preprocessing and split options"));
        m_project->setData(m_preview);
        return;
    }
    load(source, d->raw);
}

void DataPanel::generate() {
    DataSource source;
    source.kind = DataSource::Kind::Demo;
    source.demo = demoOptions();
    source.prep = preprocessOptions();
    source.split = splitOptions();
    ++m_probe;
    m_probing = false;
    load(source);
}

void DataPanel::cancelLoading() {
    const bool probing = m_probing;
    ++m_probe;
    m_probing = false;
    if (m_loader->isBusy()) {
        m_loader->cancel();  // reports through its cancelled signal
    } else if (probing) {
        setMessage(tr("Loading cancelled; the previous data stays loaded."), false);
        updateBusy();
    }
}

bool DataPanel::isBusy() const { return m_loader->isBusy() || m_probing; }

void DataPanel::updateBusy() {
    const bool busy = isBusy();
    m_progress->setVisible(busy);
    m_cancel->setVisible(busy);
    m_generate->setEnabled(!busy);
    const auto d = m_project->data();
    m_apply->setEnabled(!busy && d && d->raw);
    if (busy != m_wasBusy) {
        m_wasBusy = busy;
        Q_EMIT busyChanged(busy);
    }
}

// --- Dialogs and recent files --------------------------------------------------------------

void DataPanel::showOpenDialog() {
    const QStringList recent = recentFiles();
    const QString start = recent.isEmpty() ? QDir::homePath() : QFileInfo(recent.first()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open data"), start,
        tr("Ratings and archives (*.csv *.tsv *.txt *.dat *.data *.zip *.gz *.xz *.bz2 *.tar *.tgz);;"
           "All files (*)"));
    if (!path.isEmpty()) openPath(path);
}

void DataPanel::showOpenFolderDialog() {
    const QStringList recent = recentFiles();
    const QString start = recent.isEmpty() ? QDir::homePath() : QFileInfo(recent.first()).absolutePath();
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a data folder"), start);
    if (!dir.isEmpty()) openPath(dir);
}

void DataPanel::showDownloadDialog() {
    auto* dlg = new DownloadDialog(this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &DownloadDialog::datasetReady, this, [this](const QString& path) {
        m_project->log(Severity::Info, tr("Downloaded and verified %1").arg(path));
        openPath(path);
    });
    dlg->open();
}

QStringList DataPanel::recentFiles() const {
    return QSettings().value(kRecentKey).toStringList();
}

void DataPanel::addRecent(const QString& path) {
    const QString abs = QFileInfo(path).absoluteFilePath();
    QStringList list = recentFiles();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMaxRecent) list.removeLast();
    QSettings().setValue(kRecentKey, list);
    rebuildRecentMenu();
    Q_EMIT recentFilesChanged();
}

void DataPanel::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList list = recentFiles();
    for (const QString& p : list)
        m_recentMenu->addAction(QFileInfo(p).fileName(), this, [this, p] { openPath(p); })->setToolTip(p);
    if (!list.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear the list"), this, [this] {
            QSettings().remove(kRecentKey);
            rebuildRecentMenu();
            Q_EMIT recentFilesChanged();
        });
    }
    m_recent->setEnabled(!list.isEmpty());
}

}  // namespace vaecf::ui
