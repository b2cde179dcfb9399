// SPDX-License-Identifier: MIT
// MovieLens download against a local HTTP server: success, reuse, bad checksum, a tampered or
// truncated download, a tampered local copy, cancel, 404.
#include <archive.h>
#include <archive_entry.h>

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "session/movielens_download.h"
#include "session/project.h"
#include "widgets/data_panel.h"
#include "widgets/download_dialog.h"

using namespace vaecf::ui;

namespace {

// A tiny HTTP/1.1 server: GET only, one response per connection.
class HttpServer : public QTcpServer {
public:
    struct Reply {
        int status = 200;
        QByteArray body;
        qint64 announced = -1;  // Content-Length to send when it differs from body (a stall)
        bool closeEarly = false;  // with `announced`: send the body, then hang up (a truncation)
    };
    QHash<QString, Reply> routes;
    QHash<QString, int> hits;

    HttpServer() {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] { serve(s); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    QString base() const { return QStringLiteral("http://127.0.0.1:%1/movielens/").arg(serverPort()); }

private:
    void serve(QTcpSocket* s) {
        QByteArray& buf = m_buffers[s];
        buf += s->readAll();
        if (!buf.contains("\r\n\r\n")) return;
        const QList<QByteArray> first = buf.left(buf.indexOf("\r\n")).split(' ');
        m_buffers.remove(s);
        const QString path = QString::fromLatin1(first.value(1));
        ++hits[path];
        const auto it = routes.constFind(path);
        const Reply r = it == routes.constEnd() ? Reply{404, "not found\n", -1} : *it;
        const char* reason = r.status == 200 ? "OK" : r.status == 404 ? "Not Found" : "Error";
        const qint64 length = r.announced >= 0 ? r.announced : r.body.size();
        QByteArray head = "HTTP/1.1 " + QByteArray::number(r.status) + ' ' + reason + "\r\n";
        head += "Content-Type: application/octet-stream\r\nContent-Length: " + QByteArray::number(length) + "\r\n";
        if (r.announced < 0 || r.closeEarly) head += "Connection: close\r\n";
        head += "\r\n";
        if (r.announced < 0 || r.closeEarly) {
            s->write(head + r.body);
            s->disconnectFromHost();
            return;
        }
        // A slow transfer that never completes: a trickle of the body until the client leaves.
        s->write(head);
        auto* trickle = new QTimer(s);
        connect(trickle, &QTimer::timeout, s, [s, body = r.body] { s->write(body); });
        trickle->start(20);
    }
    QHash<QTcpSocket*, QByteArray> m_buffers;
};

QByteArray makeZip(const QString& path, const QList<QPair<QByteArray, QByteArray>>& entries) {
    archive* a = archive_write_new();
    archive_write_set_format_zip(a);
    if (archive_write_open_filename(a, path.toLocal8Bit().constData()) != ARCHIVE_OK) return {};
    for (const auto& [name, data] : entries) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.constData());
        archive_entry_set_size(e, data.size());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_write_header(a, e);
        archive_write_data(a, data.constData(), static_cast<size_t>(data.size()));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QByteArray md5Hex(const QByteArray& data) {
    return QCryptographicHash::hash(data, QCryptographicHash::Md5).toHex();
}

// Files in `dir` (temporaries included) other than the verified ml-100k.zip of an earlier test.
QStringList filesIn(const QString& dir) {
    QStringList files = QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System);
    files.removeAll(QStringLiteral("ml-100k.zip"));
    return files;
}

// Serves other replies for a test's duration; the fixture's routes come back even when a
// check fails half-way.
class RouteOverride {
public:
    RouteOverride(HttpServer& server, std::initializer_list<std::pair<QString, HttpServer::Reply>> replies)
        : m_routes(server.routes), m_saved(server.routes) {
        for (const auto& [path, reply] : replies) m_routes[path] = reply;
    }
    ~RouteOverride() { m_routes = m_saved; }
    RouteOverride(const RouteOverride&) = delete;
    RouteOverride& operator=(const RouteOverride&) = delete;

private:
    QHash<QString, HttpServer::Reply>& m_routes;
    QHash<QString, HttpServer::Reply> m_saved;
};

}  // namespace

class DownloadTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void parsesMd5Files();
    void environmentOverridesBaseUrl();
    void downloadsVerifiesAndOpens();
    void reusesVerifiedFile();
    void wrongChecksumLeavesNothing();
    void tamperedDownloadIsRefused();
    void truncatedDownloadIsRefused();
    void tamperedLocalCopyIsFetchedAgain();
    void cancelLeavesNothing();
    void notFoundIsClearError();

private:
    void useTestServer(MovieLensDownload& d) const {
        d.setBaseUrl(QUrl(m_server.base()));
        d.setStorageDir(m_store);
    }
    QTemporaryDir m_dir;
    QString m_store;
    HttpServer m_server;
    QByteArray m_zip;
};

void DownloadTest::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("vaecf-tests"));
    QCoreApplication::setApplicationName(QStringLiteral("download_test"));
    QVERIFY(m_dir.isValid());
    m_store = m_dir.filePath(QStringLiteral("store"));
    QVERIFY(m_server.listen(QHostAddress::LocalHost));
    // 20 users x 6 movies rated 5: survives the default preprocessing and splits 16/2/2.
    QByteArray udata;
    for (int u = 1; u <= 20; ++u)
        for (int i = 1; i <= 6; ++i)
            udata += QByteArray::number(u) + '\t' + QByteArray::number(i * 3 + u % 2) + "\t5\t881250949\n";
    m_zip = makeZip(m_dir.filePath(QStringLiteral("src.zip")),
                    {{"ml-100k/u.data", udata}, {"ml-100k/README", "test data\n"}});
    QVERIFY(m_zip.size() > 100);
    auto& r = m_server.routes;
    r[QStringLiteral("/movielens/ml-100k.zip")] = {200, m_zip, -1};
    // GroupLens' two published layouts of the digest line.
    r[QStringLiteral("/movielens/ml-100k.zip.md5")] = {200, "MD5 (ml-100k.zip) = " + md5Hex(m_zip) + "\n", -1};
    r[QStringLiteral("/movielens/ml-1m.zip")] = {200, m_zip, -1};
    r[QStringLiteral("/movielens/ml-1m.zip.md5")] = {200, QByteArray(32, 'a') + "  ml-1m.zip\n", -1};
    r[QStringLiteral("/movielens/ml-20m.zip")] = {200, QByteArray(1024, 'x'), 50'000'000};
    r[QStringLiteral("/movielens/ml-20m.zip.md5")] = {200, md5Hex("whatever") + "\n", -1};
    r[QStringLiteral("/movielens/ml-latest-small.zip.md5")] = {200, md5Hex(m_zip) + "\n", -1};
}

void DownloadTest::parsesMd5Files() {
    const QByteArray h = "0123456789abcdef0123456789ABCDEF";
    QCOMPARE(MovieLensDownload::parseMd5("MD5 (ml-1m.zip) = " + h + "\n"), QString::fromLatin1(h).toLower());
    QCOMPARE(MovieLensDownload::parseMd5(h + "  ml-1m.zip"), QString::fromLatin1(h).toLower());
    QVERIFY(MovieLensDownload::parseMd5("<html>no digest</html>").isEmpty());
    QVERIFY(MovieLensDownload::parseMd5(h + "00").isEmpty());  // 34 hex digits: not an MD5
}

void DownloadTest::environmentOverridesBaseUrl() {
    qputenv("VAECF_MOVIELENS_URL", "http://127.0.0.1:1/mirror/");
    QCOMPARE(MovieLensDownload().baseUrl(), QUrl(QStringLiteral("http://127.0.0.1:1/mirror/")));
    qunsetenv("VAECF_MOVIELENS_URL");
    QVERIFY(MovieLensDownload().baseUrl().toString().startsWith(QStringLiteral("https://files.grouplens.org/")));
    QVERIFY(MovieLensDownload().storageDir().endsWith(QStringLiteral("/datasets")));
}

void DownloadTest::downloadsVerifiesAndOpens() {
    Project project;
    DataPanel panel(&project);
    panel.showDownloadDialog();
    auto* dlg = panel.findChild<DownloadDialog*>();
    QVERIFY(dlg);
    dlg->download()->setBaseUrl(QUrl(m_server.base()));
    dlg->download()->setStorageDir(m_store);
    dlg->selectDataset(QStringLiteral("ml-100k"));
    QSignalSpy ready(dlg, &DownloadDialog::datasetReady);
    QSignalSpy changed(&project, &Project::dataChanged);
    dlg->startDownload();
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), 1, 5000);
    const QString path = ready.at(0).at(0).toString();
    QCOMPARE(path, QDir(m_store).filePath(QStringLiteral("ml-100k.zip")));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), m_zip);
    QCOMPARE(filesIn(m_store), QStringList());
    // The panel opens it.
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 5000);
    QCOMPARE(QString::fromStdString(project.data()->raw->format), QStringLiteral("ml100k"));
    QCOMPARE(project.data()->report.usersOut, 20);
    QCOMPARE(project.data()->split.train.rows, 16);
}

void DownloadTest::reusesVerifiedFile() {
    MovieLensDownload d;
    useTestServer(d);
    const int before = m_server.hits.value(QStringLiteral("/movielens/ml-100k.zip"));
    QSignalSpy done(&d, &MovieLensDownload::finished);
    d.start(QStringLiteral("ml-100k"));
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
    QCOMPARE(m_server.hits.value(QStringLiteral("/movielens/ml-100k.zip")), before);
}

void DownloadTest::wrongChecksumLeavesNothing() {
    MovieLensDownload d;
    useTestServer(d);
    QSignalSpy failed(&d, &MovieLensDownload::failed);
    d.start(QStringLiteral("ml-1m"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
    const QString msg = failed.at(0).at(0).toString();
    QVERIFY2(msg.contains(QStringLiteral("checksum mismatch")) && msg.contains(QString(32, QLatin1Char('a'))),
             qPrintable(msg));
    QCOMPARE(filesIn(m_store), QStringList());
    QVERIFY(!d.isBusy());
}

void DownloadTest::tamperedDownloadIsRefused() {
    // The published digest is that of the real file; one byte of the body is changed.
    QByteArray tampered = m_zip;
    tampered[tampered.size() / 2] = static_cast<char>(tampered[tampered.size() / 2] ^ 0x20);
    const RouteOverride routes(m_server, {{QStringLiteral("/movielens/ml-1m.zip.md5"), {200, md5Hex(m_zip) + "  ml-1m.zip\n", -1}},
                                          {QStringLiteral("/movielens/ml-1m.zip"), {200, tampered, -1}}});
    MovieLensDownload d;
    useTestServer(d);
    QSignalSpy failed(&d, &MovieLensDownload::failed);
    d.start(QStringLiteral("ml-1m"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
    QCOMPARE(failed.at(0).at(0).toString(),
             QStringLiteral("checksum mismatch for ml-1m.zip: expected MD5 %1, got %2; the download "
                            "was discarded")
                 .arg(QString::fromLatin1(md5Hex(m_zip)), QString::fromLatin1(md5Hex(tampered))));
    QCOMPARE(filesIn(m_store), QStringList());
}

void DownloadTest::truncatedDownloadIsRefused() {
    // The server announces the whole file, sends its first half and hangs up.
    const RouteOverride routes(
        m_server, {{QStringLiteral("/movielens/ml-1m.zip.md5"), {200, md5Hex(m_zip) + "  ml-1m.zip\n", -1}},
                   {QStringLiteral("/movielens/ml-1m.zip"), {200, m_zip.left(m_zip.size() / 2), m_zip.size(), true}}});
    MovieLensDownload d;
    useTestServer(d);
    QSignalSpy failed(&d, &MovieLensDownload::failed);
    QSignalSpy finished(&d, &MovieLensDownload::finished);
    d.start(QStringLiteral("ml-1m"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
    QCOMPARE(finished.count(), 0);
    QCOMPARE(failed.at(0).at(0).toString(),
             QStringLiteral("the download of ml-1m.zip was truncated: %1 of %2 bytes arrived; it "
                            "was discarded")
                 .arg(m_zip.size() / 2)
                 .arg(m_zip.size()));
    QCOMPARE(filesIn(m_store), QStringList());
    QVERIFY(!d.isBusy());
}

void DownloadTest::tamperedLocalCopyIsFetchedAgain() {
    // A copy changed on disk after its verification is not trusted: it is fetched again and
    // replaced by the verified file.
    QVERIFY(QDir().mkpath(m_store));
    const QString path = QDir(m_store).filePath(QStringLiteral("ml-100k.zip"));
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QByteArray tampered = m_zip;
        tampered[10] = static_cast<char>(tampered[10] ^ 0x01);
        QCOMPARE(f.write(tampered), tampered.size());
    }
    const int before = m_server.hits.value(QStringLiteral("/movielens/ml-100k.zip"));
    MovieLensDownload d;
    useTestServer(d);
    QSignalSpy done(&d, &MovieLensDownload::finished);
    d.start(QStringLiteral("ml-100k"));
    QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 5000);
    QCOMPARE(m_server.hits.value(QStringLiteral("/movielens/ml-100k.zip")), before + 1);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), m_zip);
    QCOMPARE(filesIn(m_store), QStringList());
}

void DownloadTest::cancelLeavesNothing() {
    MovieLensDownload d;
    useTestServer(d);
    QSignalSpy progress(&d, &MovieLensDownload::progress);
    QSignalSpy cancelled(&d, &MovieLensDownload::cancelled);
    QSignalSpy failed(&d, &MovieLensDownload::failed);
    d.start(QStringLiteral("ml-20m"));
    QTRY_VERIFY_WITH_TIMEOUT(!progress.isEmpty() && progress.last().at(0).toLongLong() > 0, 5000);

    QCOMPARE(progress.last().at(1).toLongLong(), 50'000'000);
    d.cancel();
    QCOMPARE(cancelled.count(), 1);
    QVERIFY(!d.isBusy());
    QTest::qWait(100);
    QCOMPARE(failed.count(), 0);
    QCOMPARE(filesIn(m_store), QStringList());
}

void DownloadTest::notFoundIsClearError() {
    MovieLensDownload d;
    useTestServer(d);
    QSignalSpy failed(&d, &MovieLensDownload::failed);
    d.start(QStringLiteral("ml-25m"));  // no .md5 on the server
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 5000);
    QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("HTTP 404")), qPrintable(failed.at(0).at(0).toString()));
    d.start(QStringLiteral("ml-latest-small"));  // .md5 there, the zip missing
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 5000);
    const QString msg = failed.at(1).at(0).toString();
    QVERIFY2(msg.contains(QStringLiteral("HTTP 404")) && msg.contains(QStringLiteral("ml-latest-small.zip")), qPrintable(msg));
    QCOMPARE(filesIn(m_store), QStringList());
    d.start(QStringLiteral("ml-7m"));
    QCOMPARE(failed.count(), 3);
}

QTEST_MAIN(DownloadTest)
#include "download_test.moc"
