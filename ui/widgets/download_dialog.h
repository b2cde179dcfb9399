// SPDX-License-Identifier: MIT
// "Get MovieLens": pick a dataset, download and verify it, then hand its path back.
#pragma once

#include <QDialog>

QT_BEGIN_NAMESPACE
class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
QT_END_NAMESPACE

namespace vaecf::ui {

class MovieLensDownload;

class DownloadDialog : public QDialog {
    Q_OBJECT
public:
    explicit DownloadDialog(QWidget* parent = nullptr);

    MovieLensDownload* download() const { return m_download; }
    QString selectedDataset() const;
    void selectDataset(const QString& name);
    void startDownload();

Q_SIGNALS:
    // A verified zip is on disk (the dialog then closes itself).
    void datasetReady(const QString& path);

protected:
    void reject() override;  // cancels a running download first

private:
    void setBusy(bool busy);

    MovieLensDownload* m_download;
    QComboBox* m_choice;
    QLabel* m_where;
    QLabel* m_status;
    QProgressBar* m_bar;
    QPushButton* m_start;
    QPushButton* m_cancel;
};

}  // namespace vaecf::ui
