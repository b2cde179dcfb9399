// SPDX-License-Identifier: MIT
#include "widgets/log_panel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

namespace vaecf::ui {

namespace {

QString severityText(Severity s) {
    switch (s) {
    case Severity::Info: return LogModel::tr("info");
    case Severity::Warning: return LogModel::tr("warning");
    case Severity::Error: return LogModel::tr("error");
    }
    return {};
}

// Keeps rows at or above a severity.
class SeverityFilter : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;
    void setMinimum(int level) {
        m_min = level;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex& parent) const override {
        const QModelIndex i = sourceModel()->index(row, 0, parent);
        return sourceModel()->data(i, LogModel::SeverityRole).toInt() >= m_min;
    }

private:
    int m_min = 0;
};

}  // namespace

LogModel::LogModel(QObject* parent) : QAbstractTableModel(parent) {}

int LogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int LogModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LogModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const Entry& e = m_entries[static_cast<std::size_t>(index.row())];
    if (role == SeverityRole) return static_cast<int>(e.severity);
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case TimeColumn: return e.when.toString(QStringLiteral("HH:mm:ss"));
        case SeverityColumn: return severityText(e.severity);
        case MessageColumn: return e.message;
        default: return {};
        }
    }
    if (role == Qt::DecorationRole && index.column() == SeverityColumn) {
        const QStyle* st = QApplication::style();
        switch (e.severity) {
        case Severity::Info: return st->standardIcon(QStyle::SP_MessageBoxInformation);
        case Severity::Warning: return st->standardIcon(QStyle::SP_MessageBoxWarning);
        case Severity::Error: return st->standardIcon(QStyle::SP_MessageBoxCritical);
        }
    }
    return {};
}

QVariant LogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case TimeColumn: return tr("Time");
    case SeverityColumn: return tr("Severity");
    case MessageColumn: return tr("Message");
    default: return {};
    }
}

void LogModel::append(Severity severity, const QString& message, const QDateTime& when) {
    if (m_entries.size() >= kMaxEntries) {
        beginRemoveRows({}, 0, 0);
        m_entries.erase(m_entries.begin());
        endRemoveRows();
    }
    const int row = static_cast<int>(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.push_back({when, severity, message});
    endInsertRows();
}

void LogModel::clear() {
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

int LogModel::count(Severity severity) const {
    int n = 0;
    for (const auto& e : m_entries) n += e.severity == severity ? 1 : 0;
    return n;
}

LogPanel::LogPanel(Project* project, QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("LogPanel"));
    m_model = new LogModel(this);
    auto* proxy = new SeverityFilter(this);
    proxy->setSourceModel(m_model);
    m_proxy = proxy;
    m_view = new QTableView(this);
    m_view->setObjectName(QStringLiteral("logView"));
    m_view->setModel(m_proxy);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(LogModel::TimeColumn, QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(LogModel::SeverityColumn, QHeaderView::ResizeToContents);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setWordWrap(false);
    m_view->setAlternatingRowColors(true);
    m_filter = new QComboBox(this);
    m_filter->setObjectName(QStringLiteral("logFilter"));
    m_filter->addItems({tr("All messages"), tr("Warnings and errors"), tr("Errors")});
    auto* copy = new QPushButton(tr("Copy"), this);
    copy->setToolTip(tr("Copy the selected messages (or all shown) to the clipboard"));
    auto* clear = new QPushButton(tr("Clear"), this);
    auto* bar = new QHBoxLayout;
    bar->addWidget(m_filter);
    bar->addStretch(1);
    bar->addWidget(copy);
    bar->addWidget(clear);
    auto* lay = new QVBoxLayout(this);
    lay->setContentsMargins(2, 2, 2, 2);
    lay->addLayout(bar);
    lay->addWidget(m_view, 1);

    connect(m_filter, &QComboBox::currentIndexChanged, this, &LogPanel::setMinimumSeverity);
    connect(clear, &QPushButton::clicked, m_model, &LogModel::clear);
    connect(copy, &QPushButton::clicked, this, [this] {
        QStringList lines;
        const auto rows = m_view->selectionModel()->selectedRows();
        const int n = m_proxy->rowCount();
        for (int r = 0; r < n; ++r) {
            if (!rows.isEmpty() && !m_view->selectionModel()->isRowSelected(r, {})) continue;
            QStringList cells;
            for (int c = 0; c < LogModel::ColumnCount; ++c)
                cells << m_proxy->data(m_proxy->index(r, c)).toString();
            lines << cells.join(QLatin1Char('\t'));
        }
        QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
    });
    connect(project, &Project::logged, this,
            [this](Severity s, const QString& msg, const QDateTime& when) {
                m_model->append(s, msg, when);
                m_view->scrollToBottom();
                if (s == Severity::Error) Q_EMIT errorLogged(msg);
            });
}

void LogPanel::setMinimumSeverity(int level) {
    static_cast<SeverityFilter*>(m_proxy)->setMinimum(level);
    if (m_filter->currentIndex() != level) m_filter->setCurrentIndex(level);
}

int LogPanel::visibleRows() const { return m_proxy->rowCount(); }

}  // namespace vaecf::ui
