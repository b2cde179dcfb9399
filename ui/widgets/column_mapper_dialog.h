// SPDX-License-Identifier: MIT
// Maps the columns of a generic delimited file: delimiter, header, and which columns hold the
// user, item, rating (or none: implicit) and time, with a preview of the first lines.
#pragma once

#include <QDialog>
#include <QStringList>

#include "vaecf/dataset.h"

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QTableWidget;
QT_END_NAMESPACE

namespace vaecf::ui {

class ColumnMapperDialog : public QDialog {
    Q_OBJECT
public:
    // `lines`: the first lines of the file (may be empty for archives: no preview then).
    ColumnMapperDialog(const QString& path, const QStringList& lines,
                       const core::ReadOptions& initial, QWidget* parent = nullptr);

    // format "delimited" with the chosen delimiter, header and columns.
    core::ReadOptions options() const;

    // Splits a line the way the reader does for `delimiter` (0: guessed from `lines`).
    static QStringList splitLine(const QString& line, char delimiter);
    static char guessDelimiter(const QStringList& lines);

private:
    void refresh();
    char delimiter() const;
    void fillColumns(int count, const QStringList& names);

    QStringList m_lines;
    core::ReadOptions m_initial;
    QComboBox* m_delimiter;
    QComboBox* m_header;
    QComboBox* m_user;
    QComboBox* m_item;
    QComboBox* m_rating;
    QComboBox* m_time;
    QTableWidget* m_preview;
    QLabel* m_problem;
    int m_columns = -1;
};

}  // namespace vaecf::ui
