// SPDX-License-Identifier: MIT
#include "widgets/download_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "session/movielens_download.h"

namespace vaecf::ui {

DownloadDialog::DownloadDialog(QWidget* parent)
    : QDialog(parent), m_download(new MovieLensDownload(this)) {
    setObjectName(QStringLiteral("DownloadDialog"));
    setWindowTitle(tr("Get MovieLens"));
    m_choice = new QComboBox(this);
    m_choice->setObjectName(QStringLiteral("datasetChoice"));
    const QLocale locale;
    for (const auto& d : MovieLensDownload::datasets())
        m_choice->addItem(tr("%1 (%2)").arg(d.title, locale.formattedDataSize(d.approxBytes)), d.name);
    m_choice->setCurrentIndex(1);  // ml-100k: small and the classic teaching set
    m_where = new QLabel(this);
    m_where->setObjectName(QStringLiteral("storageLabel"));
    m_where->setWordWrap(true);
    m_where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_where->setText(tr("Stored in %1").arg(m_download->storageDir()));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("downloadStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_bar = new QProgressBar(this);
    m_bar->setObjectName(QStringLiteral("downloadProgress"));
    m_bar->setRange(0, 1000);
    m_bar->setValue(0);
    m_bar->setVisible(false);

    auto* buttons = new QDialogButtonBox(this);
    m_start = buttons->addButton(tr("Download"), QDialogButtonBox::AcceptRole);
    m_start->setObjectName(QStringLiteral("downloadButton"));
    m_cancel = buttons->addButton(QDialogButtonBox::Cancel);
    m_cancel->setObjectName(QStringLiteral("cancelDownloadButton"));
    connect(m_start, &QPushButton::clicked, this, &DownloadDialog::startDownload);
    connect(m_cancel, &QPushButton::clicked, this, &DownloadDialog::reject);

    auto* form = new QFormLayout;
    form->addRow(tr("Dataset:"), m_choice);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_where);
    layout->addWidget(m_bar);
    layout->addWidget(m_status);
    layout->addStretch(1);
    layout->addWidget(buttons);

    connect(m_download, &MovieLensDownload::statusChanged, m_status, &QLabel::setText);
    connect(m_download, &MovieLensDownload::progress, this, [this](qint64 got, qint64 total) {
        if (total > 0) {
            m_bar->setRange(0, 1000);
            m_bar->setValue(static_cast<int>(1000.0 * static_cast<double>(got) / static_cast<double>(total)));
        } else {
            m_bar->setRange(0, 0);  // busy indicator
        }
        const QLocale loc;
        m_status->setText(total > 0 ? tr("Downloading… %1 of %2").arg(loc.formattedDataSize(got), loc.formattedDataSize(total))
                                    : tr("Downloading… %1").arg(loc.formattedDataSize(got)));
    });
    connect(m_download, &MovieLensDownload::finished, this, [this](const QString& path) {
        setBusy(false);
        m_status->setText(tr("Verified %1").arg(QFileInfo(path).fileName()));
        Q_EMIT datasetReady(path);
        accept();
    });
    connect(m_download, &MovieLensDownload::failed, this, [this](const QString& message) {
        setBusy(false);
        m_status->setText(message);
    });
    connect(m_download, &MovieLensDownload::cancelled, this, [this] { setBusy(false); });
    resize(460, sizeHint().height());
}

QString DownloadDialog::selectedDataset() const { return m_choice->currentData().toString(); }

void DownloadDialog::selectDataset(const QString& name) {
    const int i = m_choice->findData(name);
    if (i >= 0) m_choice->setCurrentIndex(i);
}

void DownloadDialog::startDownload() {
    if (m_download->isBusy()) return;
    setBusy(true);
    m_bar->setRange(0, 0);
    m_download->start(selectedDataset());
}

void DownloadDialog::setBusy(bool busy) {
    m_bar->setVisible(busy);
    m_choice->setEnabled(!busy);
    m_start->setEnabled(!busy);
    m_cancel->setText(busy ? tr("Cancel download") : tr("Close"));
}

void DownloadDialog::reject() {
    if (m_download->isBusy()) {
        // The first Cancel stops the transfer; the dialog stays open to show that it did.
        m_download->cancel();
        return;
    }
    QDialog::reject();
}

}  // namespace vaecf::ui
