// SPDX-License-Identifier: MIT
#include "session/movielens_download.h"

#include <algorithm>

#include <QCryptographicHash>
#include <QDir>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>

#include "session/project.h"

namespace vaecf::ui {

const QList<MovieLensDownload::Dataset>& MovieLensDownload::datasets() {
    static const QList<Dataset> list = {
        {QStringLiteral("ml-latest-small"), QStringLiteral("MovieLens latest (small)"), 978'202},
        {QStringLiteral("ml-100k"), QStringLiteral("MovieLens 100K"), 4'924'029},
        {QStringLiteral("ml-1m"), QStringLiteral("MovieLens 1M"), 5'917'549},
        {QStringLiteral("ml-20m"), QStringLiteral("MovieLens 20M"), 198'702'078},
        {QStringLiteral("ml-25m"), QStringLiteral("MovieLens 25M"), 261'978'986},
    };
    return list;
}

QString MovieLensDownload::defaultBaseUrl() {
    const QString env = qEnvironmentVariable("VAECF_MOVIELENS_URL");
    return env.isEmpty() ? QStringLiteral("https://files.grouplens.org/datasets/movielens/") : env;
}

MovieLensDownload::MovieLensDownload(QObject* parent)
    : QObject(parent), m_net(new QNetworkAccessManager(this)), m_base(defaultBaseUrl()),
      m_dir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
            QStringLiteral("/datasets")) {}

MovieLensDownload::~MovieLensDownload() {
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
    }
    if (m_file) m_file->cancelWriting();
}

QString MovieLensDownload::localPath(const QString& name) const {
    return QDir(m_dir).filePath(name + QStringLiteral(".zip"));
}

QUrl MovieLensDownload::urlOf(const QString& file) const {
    QString base = m_base.toString();
    if (!base.endsWith(QLatin1Char('/'))) base += QLatin1Char('/');
    return QUrl(base + file);
}

QString MovieLensDownload::parseMd5(const QByteArray& text) {
    static const QRegularExpression hex(QStringLiteral("(?<![0-9A-Fa-f])([0-9A-Fa-f]{32})(?![0-9A-Fa-f])"));
    const auto m = hex.match(QString::fromLatin1(text));
    return m.hasMatch() ? m.captured(1).toLower() : QString();
}

QString MovieLensDownload::httpError(QNetworkReply* reply) const {
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 400) {
        const QString reason =
            reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        return tr("%1: HTTP %2 %3").arg(reply->url().toString()).arg(status).arg(reason).trimmed();
    }
    if (reply->error() != QNetworkReply::NoError)
        return tr("%1: %2").arg(reply->url().toString(), reply->errorString());
    return {};
}

void MovieLensDownload::start(const QString& name) {
    if (m_busy) cancel();
    const bool known = std::any_of(datasets().begin(), datasets().end(),
                                   [&](const Dataset& d) { return d.name == name; });
    if (!known) {
        Q_EMIT failed(tr("unknown MovieLens dataset '%1'").arg(name));
        return;
    }
    m_name = name;
    m_expectedMd5.clear();
    m_busy = true;
    Q_EMIT statusChanged(tr("Fetching the checksum of %1…").arg(name));
    QNetworkRequest req(urlOf(name + QStringLiteral(".zip.md5")));
    QNetworkReply* reply = m_net->get(req);
    m_reply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (reply != m_reply) return;
        m_reply = nullptr;
        if (const QString err = httpError(reply); !err.isEmpty()) {
            finish(tr("cannot fetch the checksum: %1").arg(err));
            return;
        }
        m_expectedMd5 = parseMd5(reply->readAll());
        if (m_expectedMd5.isEmpty()) {
            finish(tr("%1 holds no MD5 digest").arg(reply->url().toString()));
            return;
        }
        // Reuse a verified earlier download. Hashing ml-25m takes about a second: do it in the
        // background so the window keeps drawing.
        const QString path = localPath(m_name);
        if (!QFileInfo::exists(path)) {
            fetchZip();
            return;
        }
        ++m_check;
        Q_EMIT statusChanged(tr("Checking the copy of %1 already downloaded…").arg(m_name));
        auto* watcher = new QFutureWatcher<bool>(this);
        connect(watcher, &QFutureWatcher<bool>::finished, this, [this, watcher, check = m_check] {
            watcher->deleteLater();
            if (!m_busy || check != m_check) return;  // cancelled or restarted meanwhile
            if (watcher->result()) {
                Q_EMIT statusChanged(tr("%1 is already downloaded").arg(m_name));
                finish({});
                return;
            }
            fetchZip();
        });
        watcher->setFuture(QtConcurrent::run(jobPool(), [path, expected = m_expectedMd5] {
            QFile existing(path);
            if (!existing.open(QIODevice::ReadOnly)) return false;
            QCryptographicHash h(QCryptographicHash::Md5);
            return h.addData(&existing) && QString::fromLatin1(h.result().toHex()) == expected;
        }));
    });
}

void MovieLensDownload::fetchZip() {
    if (!QDir().mkpath(m_dir)) {
        finish(tr("cannot create the folder %1").arg(m_dir));
        return;
    }
    m_file = std::make_unique<QSaveFile>(localPath(m_name));
    // QSaveFile writes to a temporary beside the target and renames on commit(); on any
    // failure cancelWriting() and destruction remove it.
    if (!m_file->open(QIODevice::WriteOnly)) {
        finish(tr("cannot write %1: %2").arg(localPath(m_name), m_file->errorString()));
        return;
    }
    m_hash = std::make_unique<QCryptographicHash>(QCryptographicHash::Md5);
    m_received = 0;
    Q_EMIT statusChanged(tr("Downloading %1…").arg(m_name));
    QNetworkReply* reply = m_net->get(QNetworkRequest(urlOf(m_name + QStringLiteral(".zip"))));
    m_reply = reply;
    connect(reply, &QNetworkReply::readyRead, this, &MovieLensDownload::onZipData);
    connect(reply, &QNetworkReply::downloadProgress, this,
            [this](qint64 got, qint64 total) { Q_EMIT progress(got, total); });
    connect(reply, &QNetworkReply::finished, this, &MovieLensDownload::onZipDone);
}

void MovieLensDownload::onZipData() {
    if (!m_reply || !m_file) return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 400) return;  // an error page is not data
    const QByteArray chunk = m_reply->readAll();
    m_hash->addData(chunk);
    m_received += chunk.size();
    if (m_file->write(chunk) != chunk.size()) {
        const QString err = tr("cannot write %1: %2").arg(localPath(m_name), m_file->errorString());
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
        finish(err);
    }
}

void MovieLensDownload::onZipDone() {
    QNetworkReply* reply = m_reply;
    if (!reply) return;
    reply->deleteLater();
    onZipData();  // whatever arrived before the end
    // Fewer bytes than the server announced: the connection broke (or was cut) early. Said
    // as such rather than as a network error or a checksum mismatch.
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const qint64 announced = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    if (m_file && status < 400 && announced > 0 && m_received < announced) {
        m_reply = nullptr;
        finish(tr("the download of %1.zip was truncated: %2 of %3 bytes arrived; it was discarded")
                   .arg(m_name)
                   .arg(m_received)
                   .arg(announced));
        return;
    }
    if (const QString err = httpError(reply); !err.isEmpty()) {
        m_reply = nullptr;
        finish(tr("download failed: %1").arg(err));
        return;
    }
    m_reply = nullptr;
    if (!m_file) return;  // a write error already finished the job
    const QString got = QString::fromLatin1(m_hash->result().toHex());
    if (got != m_expectedMd5) {
        finish(tr("checksum mismatch for %1.zip: expected MD5 %2, got %3; the download was "
                  "discarded")
                   .arg(m_name, m_expectedMd5, got));
        return;
    }
    // Replace a stale, unverified file of the same name.
    if (!m_file->commit()) {
        finish(tr("cannot save %1: %2").arg(localPath(m_name), m_file->errorString()));
        return;
    }
    m_file.reset();
    finish({});
}

void MovieLensDownload::finish(const QString& error) {
    if (m_file) {
        m_file->cancelWriting();
        m_file.reset();
    }
    m_hash.reset();
    m_busy = false;
    if (error.isEmpty()) Q_EMIT finished(localPath(m_name));
    else Q_EMIT failed(error);
}

void MovieLensDownload::cancel() {
    if (!m_busy) return;
    if (m_reply) {
        QNetworkReply* r = m_reply;
        m_reply = nullptr;
        r->disconnect(this);
        r->abort();
        r->deleteLater();
    }
    if (m_file) {
        m_file->cancelWriting();
        m_file.reset();
    }
    m_hash.reset();
    m_busy = false;
    ++m_check;
    Q_EMIT statusChanged(tr("Download cancelled"));
    Q_EMIT cancelled();
}

}  // namespace vaecf::ui
