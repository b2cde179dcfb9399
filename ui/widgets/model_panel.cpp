// SPDX-License-Identifier: MIT
#include "widgets/model_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include "vaecf/error.h"
#include "vaecf/params.h"
#include "vaecf/system.h"

namespace vaecf::ui {

struct ModelPanel::Field {
    core::ParamSpec spec;
    QWidget* editor = nullptr;  // QSpinBox, QLineEdit, QCheckBox or QComboBox
    QLabel* errorLabel = nullptr;
    QString error;
};

namespace {

QString rangeText(const core::ParamSpec& s) {
    switch (s.kind) {
    case core::ParamKind::Int:
    case core::ParamKind::Real:
    case core::ParamKind::IntList:
        return QStringLiteral("[%1, %2]").arg(s.min).arg(s.max);
    case core::ParamKind::Choice: {
        QStringList c;
        for (const auto& x : s.choices) c << QString::fromStdString(x);
        return c.join(QLatin1Char('|'));
    }
    case core::ParamKind::Bool: return QStringLiteral("on|off");
    }
    return {};
}

// "quick demo": small enough to train in seconds on the demo dataset, large enough to learn.
// A key applies to every model that has a hyperparameter of that name.
const std::map<std::string, nlohmann::json>& demoPreset() {
    static const std::map<std::string, nlohmann::json> p{
        {"hidden_dims", nlohmann::json::array({200})}, {"latent_dim", 32}, {"batch_size", 100},
        // β reaches its cap within the demo's 30 epochs, so the annealing is visible.
        {"total_anneal_steps", 2000}, {"warmup_epochs", 10},
        // The VampPrior family: narrower layers and fewer pseudo-inputs.
        {"hidden_size", 200}, {"z1_size", 32}, {"z2_size", 32}, {"pseudo_inputs", 100}};
    return p;
}

}  // namespace

ModelPanel::ModelPanel(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    setObjectName(QStringLiteral("ModelPanel"));
    auto* outer = new QVBoxLayout(this);
    auto* top = new QFormLayout;
    m_modelCombo = new QComboBox(this);
    m_modelCombo->setObjectName(QStringLiteral("modelCombo"));
    for (const auto& m : core::modelCatalog()) {
        m_modelCombo->addItem(QString::fromStdString(m.name), QString::fromStdString(m.id));
        m_modelCombo->setItemData(m_modelCombo->count() - 1,
                                  QString::fromStdString(m.summary + " (" + m.citation + ")"),
                                  Qt::ToolTipRole);
    }
    top->addRow(tr("&Model"), m_modelCombo);
    m_presetCombo = new QComboBox(this);
    m_presetCombo->setObjectName(QStringLiteral("presetCombo"));
    m_presetCombo->addItem(tr("Choose a preset…"), QString());
    m_presetCombo->addItem(tr("Paper defaults"), QStringLiteral("paper"));
    m_presetCombo->addItem(tr("Quick demo"), QStringLiteral("demo"));
    top->addRow(tr("Preset"), m_presetCombo);
    outer->addLayout(top);
    m_modelSummary = new QLabel(this);
    m_modelSummary->setWordWrap(true);
    m_modelSummary->setObjectName(QStringLiteral("modelSummary"));
    outer->addWidget(m_modelSummary);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_formHost = new QWidget(scroll);
    m_formLayout = new QVBoxLayout(m_formHost);
    m_formLayout->setContentsMargins(0, 0, 0, 0);
    scroll->setWidget(m_formHost);
    outer->addWidget(scroll, 1);

    auto* trainBox = new QGroupBox(tr("Training"), this);
    auto* tf = new QFormLayout(trainBox);
    m_epochs = new QSpinBox(trainBox);
    m_epochs->setObjectName(QStringLiteral("epochs"));
    m_epochs->setRange(0, 100000);
    m_epochs->setSpecialValueText(tr("model default"));
    m_epochs->setToolTip(tr("Training epochs (passes over the training users); 0: the model's own default, shown in the box"));
    tf->addRow(tr("Epochs"), m_epochs);
    m_seed = new QSpinBox(trainBox);
    m_seed->setObjectName(QStringLiteral("seed"));
    m_seed->setRange(0, 2147483647);
    m_seed->setValue(98765);
    m_seed->setToolTip(tr("Seed of the initialization, dropout, sampling and shuffling: the same seed, data and thread count train identically"));
    tf->addRow(tr("Seed"), m_seed);
    m_threads = new QSpinBox(trainBox);
    m_threads->setObjectName(QStringLiteral("threads"));
    m_threads->setRange(0, 1024);
    m_threads->setSpecialValueText(tr("all cores (%1)").arg(QThread::idealThreadCount()));
    m_threads->setToolTip(tr("Threads for training and evaluation; results depend on the thread count only through floating-point order"));
    tf->addRow(tr("Threads"), m_threads);
    m_patience = new QSpinBox(trainBox);
    m_patience->setObjectName(QStringLiteral("patience"));
    m_patience->setRange(0, 10000);
    m_patience->setSpecialValueText(tr("never stop early"));
    m_patience->setToolTip(tr("Stop after this many epochs without a better validation NDCG@100"));
    tf->addRow(tr("Early stopping"), m_patience);
    m_validate = new QCheckBox(tr("Validate every epoch (NDCG@100, Recall@20/50)"), trainBox);
    m_validate->setObjectName(QStringLiteral("validate"));
    m_validate->setChecked(true);
    tf->addRow(m_validate);
    outer->addWidget(trainBox);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("modelStatus"));
    m_status->setWordWrap(true);
    outer->addWidget(m_status);
    m_memory = new QLabel(this);
    m_memory->setObjectName(QStringLiteral("memoryEstimate"));
    m_memory->setWordWrap(true);
    outer->addWidget(m_memory);
    connect(this, &ModelPanel::setupChanged, this, &ModelPanel::updateMemoryEstimate);
    if (m_project) connect(m_project, &Project::dataChanged, this, &ModelPanel::updateMemoryEstimate);

    connect(m_modelCombo, &QComboBox::currentIndexChanged, this, [this] {
        rebuildForm();
        Q_EMIT setupChanged();
    });
    connect(m_presetCombo, &QComboBox::activated, this, [this](int i) {
        const QString p = m_presetCombo->itemData(i).toString();
        if (!p.isEmpty()) applyPreset(p);
        m_presetCombo->setCurrentIndex(0);
    });
    for (QSpinBox* s : {m_epochs, m_seed, m_threads, m_patience})
        connect(s, &QSpinBox::valueChanged, this, &ModelPanel::setupChanged);
    rebuildForm();
    applyPreset(QStringLiteral("demo"));
}

ModelPanel::~ModelPanel() = default;

QString ModelPanel::currentModelId() const { return m_modelCombo->currentData().toString(); }

void ModelPanel::setModel(const QString& id) {
    const int i = m_modelCombo->findData(id);
    if (i >= 0) m_modelCombo->setCurrentIndex(i);
}

void ModelPanel::rebuildForm() {
    m_fields.clear();
    while (QLayoutItem* item = m_formLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    const core::ModelInfo* info = nullptr;
    try {
        info = &core::modelInfo(currentModelId().toStdString());
    } catch (const core::Error& e) {
        m_modelSummary->setText(QString::fromUtf8(e.what()));
        return;
    }
    m_modelSummary->setText(QStringLiteral("<b>%1</b> — %2<br><i>%3</i>")
                                .arg(QString::fromStdString(info->name).toHtmlEscaped(),
                                     QString::fromStdString(info->summary).toHtmlEscaped(),
                                     QString::fromStdString(info->citation).toHtmlEscaped()));
    std::map<std::string, QFormLayout*> groups;
    std::vector<std::string> order;
    for (const core::ParamSpec& s : info->params) {
        const std::string g = s.group.empty() ? "Hyperparameters" : s.group;
        if (!groups.count(g)) {
            auto* box = new QGroupBox(QString::fromStdString(g), m_formHost);
            auto* form = new QFormLayout(box);
            groups[g] = form;
            m_formLayout->addWidget(box);
        }
        QFormLayout* form = groups[g];
        auto f = std::make_unique<Field>();
        f->spec = s;
        const QString tip = QStringLiteral("<b>%1</b>%2<br>%3<br>range %4, default %5")
                                .arg(QString::fromStdString(s.label).toHtmlEscaped(),
                                     s.symbol.empty() ? QString()
                                                      : QStringLiteral(" (%1)").arg(QString::fromStdString(s.symbol)),
                                     QString::fromStdString(s.help).toHtmlEscaped(), rangeText(s),
                                     QString::fromStdString(core::formatParamValue(s.defaultValue)));
        Field* fp = f.get();
        switch (s.kind) {
        case core::ParamKind::Bool: {
            auto* c = new QCheckBox(m_formHost);
            connect(c, &QCheckBox::toggled, this, [this, fp] { validateField(*fp); });
            f->editor = c;
            break;
        }
        case core::ParamKind::Choice: {
            auto* c = new QComboBox(m_formHost);
            for (const auto& x : s.choices) c->addItem(QString::fromStdString(x));
            connect(c, &QComboBox::currentIndexChanged, this, [this, fp] { validateField(*fp); });
            f->editor = c;
            break;
        }
        default: {
            // Text fields for numbers and lists, so that a wrong value can be typed and refused
            // with the reason, rather than silently clamped by a spin box.
            auto* e = new QLineEdit(m_formHost);
            connect(e, &QLineEdit::textChanged, this, [this, fp] { validateField(*fp); });
            f->editor = e;
            break;
        }
        }
        f->editor->setObjectName(QStringLiteral("param_%1").arg(QString::fromStdString(s.name)));
        f->editor->setToolTip(tip);
        f->errorLabel = new QLabel(m_formHost);
        f->errorLabel->setObjectName(QStringLiteral("error_%1").arg(QString::fromStdString(s.name)));
        f->errorLabel->setWordWrap(true);
        QPalette pal = f->errorLabel->palette();
        pal.setColor(QPalette::WindowText, QColor(0xD5, 0x5E, 0x00));
        f->errorLabel->setPalette(pal);
        f->errorLabel->setVisible(false);
        QString label = QString::fromStdString(s.label);
        if (!s.symbol.empty()) label += QStringLiteral(" (%1)").arg(QString::fromStdString(s.symbol));
        auto* lab = new QLabel(label, m_formHost);
        lab->setToolTip(tip);
        auto* cell = new QWidget(m_formHost);
        auto* cl = new QVBoxLayout(cell);
        cl->setContentsMargins(0, 0, 0, 0);
        cl->setSpacing(1);
        cl->addWidget(f->editor);
        cl->addWidget(f->errorLabel);
        form->addRow(lab, cell);
        m_fields.push_back(std::move(f));
        setFieldValue(*m_fields.back(), s.defaultValue);
    }
    m_formLayout->addStretch(1);
    if (m_epochs) m_epochs->setValue(0);
}

void ModelPanel::setFieldValue(Field& f, const nlohmann::json& value) {
    if (auto* c = qobject_cast<QCheckBox*>(f.editor)) {
        c->setChecked(value.is_boolean() && value.get<bool>());
    } else if (auto* c = qobject_cast<QComboBox*>(f.editor)) {
        c->setCurrentText(value.is_string() ? QString::fromStdString(value.get<std::string>()) : QString());
    } else if (auto* e = qobject_cast<QLineEdit*>(f.editor)) {
        e->setText(QString::fromStdString(core::formatParamValue(value)));
    }
    validateField(f);
}

nlohmann::json ModelPanel::fieldValue(const Field& f, QString* error) const {
    try {
        nlohmann::json v;
        if (auto* c = qobject_cast<QCheckBox*>(f.editor)) v = c->isChecked();
        else if (auto* c = qobject_cast<QComboBox*>(f.editor)) v = c->currentText().toStdString();
        else if (auto* e = qobject_cast<QLineEdit*>(f.editor))
            v = core::parseParamValue(f.spec, e->text().trimmed().toStdString());
        // Range and type checks as the core does them, for this one field.
        core::ParamSpecs one{f.spec};
        nlohmann::json given = nlohmann::json::object();
        given[f.spec.name] = v;
        core::validateConfig(one, given, currentModelId().toStdString());
        return v;
    } catch (const std::exception& e) {
        // The field already says which model it belongs to.
        QString msg = QString::fromUtf8(e.what());
        const QString owner = currentModelId() + QStringLiteral(": ");
        if (msg.startsWith(owner)) msg.remove(0, owner.size());
        if (error) *error = msg;
        return {};
    }
}

void ModelPanel::validateField(Field& f) {
    QString err;
    fieldValue(f, &err);
    f.error = err;
    f.errorLabel->setText(err);
    f.errorLabel->setVisible(!err.isEmpty());
    int bad = 0;
    for (const auto& x : m_fields) bad += x->error.isEmpty() ? 0 : 1;
    m_status->setText(bad ? tr("%n field(s) need a valid value before training.", nullptr, bad) : QString());
    Q_EMIT setupChanged();
}

QString ModelPanel::setFieldText(const QString& name, const QString& text) {
    for (auto& f : m_fields) {
        if (QString::fromStdString(f->spec.name) != name) continue;
        if (auto* e = qobject_cast<QLineEdit*>(f->editor)) e->setText(text);
        else if (auto* c = qobject_cast<QComboBox*>(f->editor)) c->setCurrentText(text);
        else if (auto* c = qobject_cast<QCheckBox*>(f->editor))
            c->setChecked(text == QLatin1String("true") || text == QLatin1String("1"));
        validateField(*f);
        return f->error;
    }
    return tr("no field '%1'").arg(name);
}

QString ModelPanel::fieldError(const QString& name) const {
    for (const auto& f : m_fields)
        if (QString::fromStdString(f->spec.name) == name) return f->error;
    return tr("no field '%1'").arg(name);
}

RunSetup ModelPanel::currentSetup() const {
    RunSetup s;
    s.modelId = currentModelId().toStdString();
    s.config = nlohmann::json::object();
    for (const auto& f : m_fields) {
        QString err;
        nlohmann::json v = fieldValue(*f, &err);
        if (!err.isEmpty()) {
            if (s.error.isEmpty()) s.error = err;
            continue;
        }
        s.config[f->spec.name] = v;
    }
    s.options.epochs = m_epochs->value();
    s.options.seed = static_cast<std::uint64_t>(m_seed->value());
    s.options.threads = m_threads->value();
    s.options.patience = m_patience->value();
    s.options.validate = m_validate->isChecked();
    return s;
}

void ModelPanel::loadSetup(const RunSetup& setup) {
    setModel(QString::fromStdString(setup.modelId));
    for (auto& f : m_fields)
        if (setup.config.contains(f->spec.name)) setFieldValue(*f, setup.config[f->spec.name]);
    m_epochs->setValue(setup.options.epochs);
    m_seed->setValue(static_cast<int>(setup.options.seed & 0x7fffffff));
    m_threads->setValue(setup.options.threads);
    m_patience->setValue(setup.options.patience);
    m_validate->setChecked(setup.options.validate);
}

void ModelPanel::loadRun(const Run& run) {
    RunSetup s;
    s.modelId = run.modelId;
    s.config = run.config;
    s.options = run.options;
    loadSetup(s);
}

void ModelPanel::applyPreset(const QString& preset) {
    for (auto& f : m_fields) {
        nlohmann::json v = f->spec.defaultValue;
        if (preset == QLatin1String("demo")) {
            const auto it = demoPreset().find(f->spec.name);
            if (it != demoPreset().end()) v = it->second;
        }
        setFieldValue(*f, v);
    }
    m_epochs->setValue(preset == QLatin1String("demo") ? 30 : 0);
    m_patience->setValue(0);
    m_validate->setChecked(true);
    if (m_project)
        m_project->log(Severity::Info, preset == QLatin1String("demo")
                                           ? tr("Model settings: quick demo preset")
                                           : tr("Model settings: the paper's defaults"));
}

void ModelPanel::updateMemoryEstimate() {
    const auto data = m_project ? m_project->data() : nullptr;
    const RunSetup s = currentSetup();
    m_epochs->setSpecialValueText(tr("model default"));
    QString text;
    bool tooMuch = false;
    try {
        const auto model = core::createModel(s.modelId, s.error.isEmpty() ? s.config : nlohmann::json::object());
        m_epochs->setSpecialValueText(tr("model default (%1)").arg(model->defaultEpochs()));
        if (data && s.error.isEmpty()) {
            const core::CsrMatrix& train = data->split.train;
            const double bytes = model->memoryEstimate(train.rows, train.cols, train.nnz());
            const double have = core::physicalMemoryBytes();
            tooMuch = have > 0 && bytes > 0.9 * have;
            if (bytes > 0)
                text = (tooMuch ? tr("The model needs about %1 of memory to train, more than this "
                                     "machine's %2: lower the sizes above.")
                        : model->iterative()
                            ? tr("The model needs about %1 of memory to train (this machine has "
                                 "%2); the trainer's copies of its state (the last epoch's and the "
                                 "best weights) come on top.")
                            : tr("The model needs about %1 of memory to fit (this machine has %2)."))
                           .arg(QString::fromStdString(core::formatBytes(bytes)),
                                QString::fromStdString(core::formatBytes(have)));
        }
    } catch (const core::Error&) {
        // An invalid setting is reported at its field.
    }
    m_memory->setText(text);
    m_memory->setStyleSheet(tooMuch ? QStringLiteral("color: #d55e00;") : QString());
}

QString ModelPanel::memoryEstimateText() const { return m_memory->text(); }

void ModelPanel::saveSettings() const {
    QSettings st;
    const RunSetup s = currentSetup();
    st.setValue(QStringLiteral("model/id"), currentModelId());
    nlohmann::json j;
    j["config"] = s.config;
    j["epochs"] = s.options.epochs;
    j["seed"] = s.options.seed;
    j["threads"] = s.options.threads;
    j["patience"] = s.options.patience;
    j["validate"] = s.options.validate;
    st.setValue(QStringLiteral("model/settings/%1").arg(currentModelId()), QString::fromStdString(j.dump()));
}

void ModelPanel::restoreSettings() {
    QSettings st;
    const QString id = st.value(QStringLiteral("model/id")).toString();
    if (id.isEmpty() || m_modelCombo->findData(id) < 0) return;
    setModel(id);
    const QString text = st.value(QStringLiteral("model/settings/%1").arg(id)).toString();
    if (text.isEmpty()) return;
    try {
        const nlohmann::json j = nlohmann::json::parse(text.toStdString());
        RunSetup s;
        s.modelId = id.toStdString();
        s.config = j.value("config", nlohmann::json::object());
        s.options.epochs = j.value("epochs", 0);
        s.options.seed = j.value("seed", std::uint64_t{98765});
        s.options.threads = j.value("threads", 0);
        s.options.patience = j.value("patience", 0);
        s.options.validate = j.value("validate", true);
        loadSetup(s);
    } catch (const std::exception&) {
        // Settings from another version: keep the defaults.
    }
}

}  // namespace vaecf::ui
