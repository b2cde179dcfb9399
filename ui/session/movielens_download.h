// SPDX-License-Identifier: MIT
// Downloads a MovieLens zip from GroupLens, checks it against the published .md5 and stores
// it under <AppDataLocation>/datasets/. The zip is written to a temporary file that becomes
// the real one only once verified, so errors and cancels leave nothing behind. A file already
// there that matches the checksum is reused without downloading.
#pragma once

#include <memory>

#include <QByteArray>
#include <QCryptographicHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
class QNetworkReply;
class QSaveFile;
QT_END_NAMESPACE

namespace vaecf::ui {

class MovieLensDownload : public QObject {
    Q_OBJECT
public:
    struct Dataset {
        QString name;       // "ml-100k": file name without .zip
        QString title;      // "MovieLens 100K"
        qint64 approxBytes; // size of the zip, for the picker
    };
    static const QList<Dataset>& datasets();
    static QString defaultBaseUrl();  // VAECF_MOVIELENS_URL, else GroupLens

    explicit MovieLensDownload(QObject* parent = nullptr);
    ~MovieLensDownload() override;

    void setBaseUrl(const QUrl& url) { m_base = url; }
    QUrl baseUrl() const { return m_base; }
    void setStorageDir(const QString& dir) { m_dir = dir; }
    QString storageDir() const { return m_dir; }
    QString localPath(const QString& name) const;  // where `name` is stored once verified

    // Starts fetching `name` (one of datasets()); a running download is cancelled first.
    void start(const QString& name);
    void cancel();
    bool isBusy() const { return m_busy; }

    // Hex MD5 digest found in the text of a .md5 file ("MD5 (x.zip) = <hex>" or "<hex>  x.zip"),
    // lower case, or empty when none.
    static QString parseMd5(const QByteArray& text);

Q_SIGNALS:
    void progress(qint64 received, qint64 total);  // total -1 when unknown
    void statusChanged(const QString& text);
    void finished(const QString& path);
    void failed(const QString& message);
    void cancelled();

private:
    void fetchZip();
    void onZipData();
    void onZipDone();
    void finish(const QString& error);
    QUrl urlOf(const QString& file) const;
    QString httpError(QNetworkReply* reply) const;

    QNetworkAccessManager* m_net;
    QUrl m_base;
    QString m_dir;
    QString m_name;
    QString m_expectedMd5;
    int m_check = 0;  // counts checks of an existing file; stale results are ignored
    bool m_busy = false;
    QPointer<QNetworkReply> m_reply;
    std::unique_ptr<QSaveFile> m_file;
    std::unique_ptr<QCryptographicHash> m_hash;
    qint64 m_received = 0;  // bytes of the zip written so far
};

}  // namespace vaecf::ui
