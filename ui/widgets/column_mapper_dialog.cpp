// SPDX-License-Identifier: MIT
#include "widgets/column_mapper_dialog.h"

#include <algorithm>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QVBoxLayout>

namespace vaecf::ui {

namespace {

constexpr int kPreviewRows = 12;

bool looksNumeric(const QString& s) {
    bool ok = false;
    s.trimmed().toDouble(&ok);
    return ok;
}

qsizetype nonNumeric(const QStringList& fields) {
    return std::count_if(fields.begin(), fields.end(), [](const QString& f) { return !looksNumeric(f); });
}

}  // namespace

QStringList ColumnMapperDialog::splitLine(const QString& line, char delimiter) {
    if (delimiter == ':') return line.split(QStringLiteral("::"));
    if (delimiter == ' ')
        return line.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
    return line.split(QLatin1Char(delimiter));
}

char ColumnMapperDialog::guessDelimiter(const QStringList& lines) {
    // The reader's order: the first delimiter giving the same field count (>= 2) on every line.
    for (char d : {':', '\t', ',', ';', '|', ' '}) {
        int n = -1;
        bool ok = !lines.isEmpty();
        for (const QString& l : lines) {
            if (l.trimmed().isEmpty()) continue;
            const int k = static_cast<int>(splitLine(l, d).size());
            if (k < 2 || (n >= 0 && k != n)) {
                ok = false;
                break;
            }
            n = k;
        }
        if (ok && n >= 2) return d;
    }
    return ',';
}

ColumnMapperDialog::ColumnMapperDialog(const QString& path, const QStringList& lines,
                                       const core::ReadOptions& initial, QWidget* parent)
    : QDialog(parent), m_lines(lines.mid(0, kPreviewRows)), m_initial(initial) {
    setObjectName(QStringLiteral("ColumnMapperDialog"));
    setWindowTitle(tr("Columns of %1").arg(QFileInfo(path).fileName()));

    m_delimiter = new QComboBox(this);
    m_delimiter->setObjectName(QStringLiteral("delimiterCombo"));
    m_delimiter->addItem(tr("Detect"), 0);
    m_delimiter->addItem(tr("Tab"), int('\t'));
    m_delimiter->addItem(tr("Comma ,"), int(','));
    m_delimiter->addItem(tr("Semicolon ;"), int(';'));
    m_delimiter->addItem(tr("Pipe |"), int('|'));
    m_delimiter->addItem(tr("Double colon ::"), int(':'));
    m_delimiter->addItem(tr("Spaces"), int(' '));
    m_delimiter->setCurrentIndex(std::max(0, m_delimiter->findData(int(initial.delimiter))));

    m_header = new QComboBox(this);
    m_header->setObjectName(QStringLiteral("headerCombo"));
    m_header->addItem(tr("Detect"));
    m_header->addItem(tr("Yes: the first line names the columns"));
    m_header->addItem(tr("No"));
    m_header->setCurrentIndex(!initial.header ? 0 : *initial.header ? 1 : 2);

    auto combo = [this](const char* name) {
        auto* c = new QComboBox(this);
        c->setObjectName(QLatin1String(name));
        return c;
    };
    m_user = combo("userColumn");
    m_item = combo("itemColumn");
    m_rating = combo("ratingColumn");
    m_time = combo("timeColumn");

    m_preview = new QTableWidget(this);
    m_preview->setObjectName(QStringLiteral("previewTable"));
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_preview->verticalHeader()->setVisible(false);
    m_preview->setMinimumHeight(180);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("mapperProblem"));
    m_problem->setWordWrap(true);

    auto* form = new QFormLayout;
    form->addRow(tr("Delimiter:"), m_delimiter);
    form->addRow(tr("Header line:"), m_header);
    form->addRow(tr("User column:"), m_user);
    form->addRow(tr("Item column:"), m_item);
    form->addRow(tr("Rating column:"), m_rating);
    form->addRow(tr("Time column:"), m_time);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_problem->setText({});
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(m_lines.isEmpty() ? tr("No preview (compressed or archived file).")
                                                   : tr("First lines:"), this));
    layout->addWidget(m_preview, 1);
    layout->addWidget(m_problem);
    layout->addWidget(buttons);

    connect(m_delimiter, &QComboBox::currentIndexChanged, this, &ColumnMapperDialog::refresh);
    connect(m_header, &QComboBox::currentIndexChanged, this, &ColumnMapperDialog::refresh);
    for (QComboBox* c : {m_user, m_item, m_rating, m_time})
        connect(c, &QComboBox::currentIndexChanged, this, [this, buttons] {
            const bool same = m_user->currentData() == m_item->currentData();
            m_problem->setText(same ? tr("User and item must be different columns.") : QString());
            buttons->button(QDialogButtonBox::Ok)->setEnabled(!same);
        });
    refresh();
    resize(560, 520);
}

char ColumnMapperDialog::delimiter() const {
    const char d = static_cast<char>(m_delimiter->currentData().toInt());
    return d ? d : guessDelimiter(m_lines);
}

void ColumnMapperDialog::fillColumns(int count, const QStringList& names) {
    auto keep = [](QComboBox* c, int fallback) {
        return c->count() ? c->currentData().toInt() : fallback;
    };
    const int user = keep(m_user, m_initial.userColumn);
    const int item = keep(m_item, m_initial.itemColumn);
    const int rating = keep(m_rating, m_initial.ratingColumn);
    const int time = keep(m_time, m_initial.timeColumn);
    // Without a preview, offer enough columns for any usual layout.
    const int n = std::max({count, user + 1, item + 1, rating + 1, time + 1, 4});
    for (QComboBox* c : {m_user, m_item, m_rating, m_time}) {
        const QSignalBlocker block(c);
        c->clear();
        if (c == m_rating) c->addItem(tr("none (implicit feedback)"), -1);
        if (c == m_time) c->addItem(tr("none"), -1);
        for (int k = 0; k < n; ++k) {
            const QString name = k < names.size() ? names[k].trimmed() : QString();
            c->addItem(name.isEmpty() ? tr("column %1").arg(k + 1)
                                      : tr("column %1 (%2)").arg(k + 1).arg(name),
                       k);
        }
    }
    auto select = [](QComboBox* c, int v) { c->setCurrentIndex(std::max(0, c->findData(v))); };
    select(m_user, user);
    select(m_item, item);
    select(m_rating, rating);
    select(m_time, time);
}

void ColumnMapperDialog::refresh() {
    const char d = delimiter();
    QList<QStringList> rows;
    int columns = 0;
    for (const QString& l : m_lines) {
        if (l.trimmed().isEmpty()) continue;
        rows << splitLine(l, d);
        columns = std::max(columns, static_cast<int>(rows.back().size()));
    }
    bool header = false;
    if (m_header->currentIndex() == 1) header = true;
    else if (m_header->currentIndex() == 0 && !rows.isEmpty())
        // A header names columns: its first line has more non-numeric fields than the next.
        header = rows.size() >= 2 && nonNumeric(rows[0]) > nonNumeric(rows[1]);
    const QStringList names = header && !rows.isEmpty() ? rows.takeFirst() : QStringList();
    fillColumns(columns, names);
    m_preview->clear();
    m_preview->setColumnCount(columns);
    m_preview->setRowCount(static_cast<int>(rows.size()));
    QStringList labels;
    for (int k = 0; k < columns; ++k)
        labels << (k < names.size() ? names[k].trimmed() : tr("column %1").arg(k + 1));
    m_preview->setHorizontalHeaderLabels(labels);
    for (int r = 0; r < rows.size(); ++r)
        for (int c = 0; c < rows[r].size(); ++c)
            m_preview->setItem(r, c, new QTableWidgetItem(rows[r][c]));
}

core::ReadOptions ColumnMapperDialog::options() const {
    core::ReadOptions o = m_initial;
    o.format = "delimited";
    o.delimiter = static_cast<char>(m_delimiter->currentData().toInt());
    if (o.delimiter == 0 && !m_lines.isEmpty()) o.delimiter = guessDelimiter(m_lines);
    switch (m_header->currentIndex()) {
    case 1: o.header = true; break;
    case 2: o.header = false; break;
    default: o.header.reset(); break;
    }
    o.userColumn = m_user->currentData().toInt();
    o.itemColumn = m_item->currentData().toInt();
    o.ratingColumn = m_rating->currentData().toInt();
    o.timeColumn = m_time->currentData().toInt();
    return o;
}

}  // namespace vaecf::ui
