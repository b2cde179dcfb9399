// SPDX-License-Identifier: MIT
// The non-modal log and issues panel: every message of the project (information, warnings,
// errors with the file and line the core names) with its time, filterable by severity.
#pragma once

#include <vector>

#include <QAbstractTableModel>
#include <QDateTime>
#include <QWidget>

#include "session/project.h"

class QComboBox;
class QSortFilterProxyModel;
class QTableView;

namespace vaecf::ui {

class LogModel : public QAbstractTableModel {
    Q_OBJECT
public:
    struct Entry {
        QDateTime when;
        Severity severity = Severity::Info;
        QString message;
    };
    enum Column { TimeColumn, SeverityColumn, MessageColumn, ColumnCount };
    static constexpr int SeverityRole = Qt::UserRole + 1;

    explicit LogModel(QObject* parent = nullptr);
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void append(Severity severity, const QString& message, const QDateTime& when);
    void clear();
    const std::vector<Entry>& entries() const { return m_entries; }
    int count(Severity severity) const;

private:
    std::vector<Entry> m_entries;
    static constexpr std::size_t kMaxEntries = 10000;
};

class LogPanel : public QWidget {
    Q_OBJECT
public:
    explicit LogPanel(Project* project, QWidget* parent = nullptr);
    LogModel* model() const { return m_model; }
    // Shows all messages (0), warnings and errors (1), or errors only (2).
    void setMinimumSeverity(int level);
    int visibleRows() const;

Q_SIGNALS:
    // An error arrived (the main window points the user here).
    void errorLogged(const QString& message);

private:
    LogModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QTableView* m_view;
    QComboBox* m_filter;
};

}  // namespace vaecf::ui
