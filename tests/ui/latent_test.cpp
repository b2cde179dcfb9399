// SPDX-License-Identifier: MIT
// The Latent map on real widgets (offscreen): a tiny Mult-VAE trained on demo data, mapped
// with PCA and t-SNE, checked against core computations done independently here.
#include <cmath>
#include <memory>

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QPalette>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "demo_data.h"
#include "models/neighbour_model.h"
#include "session/latent_jobs.h"
#include "session/project.h"
#include "vaecf/metrics.h"
#include "vaecf/projection.h"
#include "vaecf/trainer.h"
#include "widgets/latent_panel.h"
#include "widgets/latent_scatter.h"

using namespace vaecf;
using namespace vaecf::ui;

namespace {

int lineCount(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return -1;
    int n = 0;
    while (!f.atEnd()) {
        f.readLine();
        ++n;
    }
    return n;
}

QString firstLine(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
    return QString::fromUtf8(f.readLine()).trimmed();
}

}  // namespace

class LatentTest : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<const DataState> m_data;
    std::shared_ptr<const core::Model> m_model;
    std::unique_ptr<Project> m_project;

    std::unique_ptr<LatentPanel> makePanel() {
        auto panel = std::make_unique<LatentPanel>(m_project.get());
        panel->resize(1100, 700);
        panel->show();
        return panel;
    }

    // Waits for the first finished map; false when none came.
    static bool waitForMap(LatentPanel& panel, int ms = 15000) {
        return QTest::qWaitFor([&] { return panel.projection() != nullptr && !panel.isBusy(); }, ms);
    }

    // A point whose own screen position picks it (no nearer neighbour overlaps it).
    static int clickablePoint(const LatentScatter& s, QPoint* at) {
        for (int i = 0; i < s.pointCount(); ++i) {
            const QPoint pos = s.mapToWidget(s.pointPosition(i)).toPoint();
            if (s.rect().contains(pos) && s.pointAt(QPointF(pos)) == i) {
                *at = pos;
                return i;
            }
        }
        return -1;
    }

    core::PointSet encodeTrain() const {
        const core::CsrMatrix& rows = m_data->rows(Part::Train);
        core::PointSet ps;
        ps.n = rows.rows;
        ps.dim = m_model->latentDim();
        ps.data.resize(static_cast<std::size_t>(ps.n * ps.dim));
        m_model->encode(rows, 0, rows.rows, ps.data.data(), nullptr);
        return ps;
    }


private Q_SLOTS:
    void initTestCase() {
        m_data = vaecf::test::smallDemoData(400, 150);
        core::TrainOptions options;
        options.epochs = 3;
        options.seed = 1;
        core::Trainer trainer(m_data->split,
                              core::createModel("mult-vae", core::Config::parse(
                                                                R"({"hidden_dims":[32],"latent_dim":8,"batch_size":50})")),
                              options);
        while (!trainer.done()) trainer.runEpoch();
        m_model = core::cloneModel(trainer.model());
        m_project = std::make_unique<Project>();
        m_project->setData(m_data);
        auto run = std::make_shared<Run>();
        run->modelId = "mult-vae";
        run->bestModel = m_model;
        run->state = RunState::Finished;
        Run* added = m_project->addRun(run);
        m_project->setCurrentRun(added->id);
    }

    void placeholderWithoutModel() {
        Project empty;
        empty.setData(m_data);
        LatentPanel panel(&empty);
        panel.show();
        QTRY_VERIFY(panel.showsPlaceholder());
        QCOMPARE(panel.placeholderText(), QStringLiteral("Train a model to see its latent space"));
    }

    void placeholderWithoutLatentSpace() {
        Project project;
        project.setData(m_data);
        auto model = core::createModel("popularity");
        model->initialize(m_data->split.train, 1);
        core::TrainOptions options;
        auto run = std::make_shared<Run>();
        run->modelId = "popularity";
        run->bestModel = std::shared_ptr<const core::Model>(std::move(model));
        project.setCurrentRun(project.addRun(run)->id);
        LatentPanel panel(&project);
        panel.show();
        QTest::qWait(20);
        QTRY_VERIFY(panel.showsPlaceholder());
        QVERIFY(panel.placeholderText().contains(QStringLiteral("no latent space")));
    }

    // The scatter on its own: mapping, grid lookup, colours, exports.
    void scatterBasics() {
        LatentScatter s;
        s.resize(400, 300);
        s.show();
        std::vector<float> xy;
        for (int i = 0; i < 1000; ++i) {
            xy.push_back(static_cast<float>(i % 40));
            xy.push_back(static_cast<float>(i / 40));
        }
        s.setPoints(xy);
        QCOMPARE(s.pointCount(), 1000);
        for (int i : {0, 17, 523, 999}) {
            const QPointF w = s.mapToWidget(s.pointPosition(i));
            QCOMPARE(s.pointAt(w), i);
            const QPointF back = s.widgetToMap(w);
            QVERIFY(std::abs(back.x() - s.pointPosition(i).x()) < 1e-6);
        }
        QCOMPARE(s.pointAt(QPointF(-50, -50)), -1);
        std::vector<std::int32_t> cat(1000);
        for (int i = 0; i < 1000; ++i) cat[static_cast<std::size_t>(i)] = i % 3;
        s.setCategories(cat, {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
        QCOMPARE(s.categoryCount(), 3);
        QCOMPARE(s.pointColour(1), Project::paletteColour(1));
        std::vector<float> special{1, 1, 2, 2};
        s.setSpecialPoints(special, QStringLiteral("pseudo-inputs"));
        QCOMPARE(s.specialPointCount(), 2);
        // Zooming around the cursor keeps the point under it in place.
        const QPointF w = s.mapToWidget(s.pointPosition(523));
        QWheelEvent wheel(w, s.mapToGlobal(w), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(&s, &wheel);
        QVERIFY(s.zoom() > 1);
        QVERIFY((s.mapToWidget(s.pointPosition(523)) - w).manhattanLength() < 1e-6);
        QTest::keyClick(&s, Qt::Key_Home);
        QCOMPARE(s.zoom(), 1.0);
        QTemporaryDir dir;
        QVERIFY(s.exportPng(dir.filePath(QStringLiteral("m.png"))));
        QImage img(dir.filePath(QStringLiteral("m.png")));
        QVERIFY(!img.isNull());
        QVERIFY(img.width() >= 800);

        // A large set: hover lookups stay local thanks to the grid.
        std::vector<float> big(2 * 150'000);
        for (std::size_t k = 0; k < big.size(); ++k) big[k] = static_cast<float>(std::sin(k * 0.7311) * 10);
        QElapsedTimer timer;
        timer.start();
        s.setPoints(big);
        s.grab();
        const qint64 renderMs = timer.elapsed();
        timer.restart();
        int found = 0;
        for (int k = 0; k < 2000; ++k) found += s.pointAt(s.mapToWidget(s.pointPosition(k * 75))) >= 0 ? 1 : 0;
        QCOMPARE(found, 2000);
        qInfo("150k points: set + render %lld ms, 2000 lookups %lld ms", renderMs, timer.elapsed());
    }

    void pcaMatchesCore() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        const std::int64_t n = m_data->numUsers(Part::Train);
        QCOMPARE(panel->scatter()->pointCount(), static_cast<int>(n));
        QVERIFY(panel->statusText().contains(QStringLiteral("of %L1").arg(n)));
        const core::Projection2D expected = core::pca2d(encodeTrain());
        QCOMPARE(expected.xy.size(), panel->projection()->xy.size());
        for (std::size_t i = 0; i < expected.xy.size(); ++i)
            QVERIFY2(std::abs(expected.xy[i] - panel->projection()->xy[i]) < 1e-4, qPrintable(QString::number(i)));
    }

    void colourByCluster() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        QVERIFY(panel->setColourBy(LatentPanel::ColourBy::Cluster));
        QVERIFY(panel->scatter()->isCategorical());
        QCOMPARE(panel->scatter()->categoryCount(), 3);
        QStringList names;
        for (const auto& c : m_data->clusterNames) names << QString::fromStdString(c);
        QCOMPARE(panel->scatter()->categoryNames(), names);
        // NDCG is offered for held-out parts only, and fills in from the background.
        QVERIFY(!panel->setColourBy(LatentPanel::ColourBy::Ndcg));
        panel->setPart(PartChoice::Validation);
        QVERIFY(panel->setColourBy(LatentPanel::ColourBy::Ndcg));
        auto someNdcgShown = [&] {
            const LatentScatter* s = panel->scatter();
            if (s->isCategorical() || s->pointCount() != m_data->numUsers(Part::Validation)) return false;
            for (int i = 0; i < s->pointCount(); ++i)
                if (!s->colourText(i).isEmpty()) return true;
            return false;
        };
        QVERIFY(QTest::qWaitFor([&] { return panel->projection() && !panel->isBusy() && someNdcgShown(); }, 15000));
        // Tooltips show the user's NDCG once known.
        bool tooltipHasNdcg = false;
        for (int i = 0; i < panel->scatter()->pointCount() && !tooltipHasNdcg; ++i)
            tooltipHasNdcg = panel->scatter()->hoverText(i).contains(QStringLiteral("NDCG@100"));
        QVERIFY(tooltipHasNdcg);
    }

    void clickSelectsUserAndHover() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        LatentScatter* s = panel->scatter();
        QPoint pos;
        const int i = clickablePoint(*s, &pos);
        QVERIFY(i >= 0);
        QSignalSpy spy(m_project.get(), &Project::userSelected);
        QTest::mouseClick(s, Qt::LeftButton, Qt::NoModifier, pos);
        QCOMPARE(spy.count(), 1);
        const UserRef ref = spy.at(0).at(0).value<UserRef>();
        QCOMPARE(ref.part, Part::Train);
        QCOMPARE(ref.row, panel->userAt(i).row);
        QCOMPARE(panel->selectedPoint(), i);
        QCOMPARE(s->selected(), i);
        QVERIFY(std::isfinite(panel->selectedSigma()) && panel->selectedSigma() > 0);
        QVERIFY(s->hasEllipse());

        const QString id = QString::fromStdString(m_data->userIds(Part::Train)[static_cast<std::size_t>(ref.row)]);
        QVERIFY(s->hoverText(i).contains(id));
        QMouseEvent move(QEvent::MouseMove, QPointF(pos), s->mapToGlobal(QPointF(pos)), Qt::NoButton,
                         Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(s, &move);
        QCOMPARE(s->hoveredIndex(), i);

        // Pseudo-inputs land where their latent points project on the PCA map.
        core::PointSet pseudo;
        pseudo.dim = panel->points()->mu.dim;
        pseudo.n = 2;
        for (int k : {i, 0})
            pseudo.data.insert(pseudo.data.end(), panel->points()->mu.row(k), panel->points()->mu.row(k) + pseudo.dim);
        panel->setPseudoInputs(pseudo);
        QCOMPARE(s->specialPointCount(), 2);

        // Selection from elsewhere (Recommendations) highlights the user here.
        m_project->selectUser(UserRef{Part::Train, 3});
        QCOMPARE(panel->selectedPoint(), panel->pointOf(UserRef{Part::Train, 3}));
        m_project->selectUser({});
    }

    void searchHighlights() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        const auto& ids = m_data->userIds(Part::Train);
        const QString first = QString::fromStdString(ids.front());
        const QString pattern = QStringLiteral("^") + QRegularExpression::escape(first.left(std::max<qsizetype>(1, first.size() - 1)));
        const QRegularExpression re(pattern, QRegularExpression::CaseInsensitiveOption);
        int expected = 0;
        for (const auto& id : ids) expected += re.match(QString::fromStdString(id)).hasMatch() ? 1 : 0;
        QVERIFY(expected >= 1);
        panel->setSearchText(pattern.toUpper());
        QCOMPARE(panel->searchHitCount(), expected);
        panel->setSearchText(QStringLiteral("(["));
        QCOMPARE(panel->searchHitCount(), 0);
        panel->setSearchText(QString());
        QCOMPARE(panel->searchHitCount(), 0);
    }

    void neighboursMatchCore() {
        auto panel = makePanel();
        QAbstractItemModelTester tester(panel->neighbourModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(waitForMap(*panel));
        panel->setNeighbourCount(7);
        panel->setDistance(core::Distance::Cosine);
        const int query = 11;
        panel->selectPoint(query);
        QTRY_COMPARE(panel->neighbourModel()->rowCount(), 7);
        const auto& mu = panel->points()->mu;
        const auto expected = core::nearestNeighbours(mu, mu.row(query), 7, core::Distance::Cosine, query);
        for (int r = 0; r < 7; ++r) QCOMPARE(panel->neighbourModel()->pointAt(r), static_cast<int>(expected[static_cast<std::size_t>(r)].index));
        QCOMPARE(panel->scatter()->neighbours().size(), std::size_t{7});
        // The panel's μ is the model's encoding of the train rows.
        const core::PointSet independent = encodeTrain();
        for (std::size_t k = 0; k < independent.data.size(); ++k) QCOMPARE(mu.data[k], independent.data[k]);
        panel->setDistance(core::Distance::Euclidean);
        panel->setNeighbourCount(5);
        const auto euclid = core::nearestNeighbours(mu, mu.row(query), 5, core::Distance::Euclidean, query);
        QTRY_COMPARE(panel->neighbourModel()->rowCount(), 5);
        QTRY_COMPARE(panel->neighbourModel()->pointAt(0), static_cast<int>(euclid[0].index));
    }

    void tsneInBackgroundWithCancel() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(0);
        connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
        ticker.start();
        int ticksAtProgress = -1;
        QSignalSpy progress(panel.get(), &LatentPanel::progressChanged);
        auto c = connect(panel.get(), &LatentPanel::progressChanged, this, [&] {
            if (ticksAtProgress < 0) {
                ticksAtProgress = ticks;
                panel->cancel();
            }
        });
        panel->setProjection(ProjectionKind::Tsne);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 15000);
        disconnect(c);
        QVERIFY(!panel->isBusy());
        QVERIFY(panel->projection() == nullptr);
        QVERIFY(panel->statusText().contains(QStringLiteral("Cancelled")));
        QVERIFY2(ticksAtProgress > 0, "the event loop ran while t-SNE started");
        // A full run: the map fills with every point and PCA-only tools switch off.
        panel->setPerplexity(10);
        QVERIFY(waitForMap(*panel, 25000));
        QCOMPARE(panel->scatter()->pointCount(), static_cast<int>(m_data->numUsers(Part::Train)));
        QVERIFY(panel->projection()->axes.empty());
        QVERIFY(!panel->scatter()->traversalEnabled());
        ticker.stop();
        // Above the cap, t-SNE maps a stratified sample and says so.
        const std::int64_t n = m_data->numUsers(Part::Train);
        panel->setTsneCap(100);
        QVERIFY(QTest::qWaitFor([&] {
            return panel->projection() && !panel->isBusy() && panel->scatter()->pointCount() == 100;
        }, 25000));
        QVERIFY2(panel->statusText().contains(QStringLiteral("100 of %L1").arg(n)), qPrintable(panel->statusText()));
        // Switching back to PCA maps everyone again.
        panel->setProjection(ProjectionKind::Pca);
        QVERIFY(QTest::qWaitFor([&] {
            return panel->projection() && !panel->isBusy() && panel->scatter()->pointCount() == n;
        }, 15000));
    }

    void traversalDecodes() {
        if (!m_model->hasDecoder()) QSKIP("Mult-VAE has no decode() yet (core engineer is adding it)");
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        LatentScatter* s = panel->scatter();
        QVERIFY(s->traversalEnabled());
        const QPointF at = s->pointPosition(4);
        s->setTraversalPosition(at);
        QTRY_COMPARE(panel->traversalItems().size(), std::size_t{10});
        panel->setColourBy(LatentPanel::ColourBy::Cluster);
        panel->selectPoint(4);
        QTRY_COMPARE(panel->neighbourModel()->rowCount(), 10);
        panel->setSearchText(QStringLiteral("^1"));
        const core::Projection2D& p = *panel->projection();
        const std::size_t dim = p.mean.size();
        std::vector<float> z(dim);
        for (std::size_t d = 0; d < dim; ++d)
            z[d] = p.mean[d] + static_cast<float>(at.x()) * p.axes[d] + static_cast<float>(at.y()) * p.axes[dim + d];
        std::vector<float> scores(static_cast<std::size_t>(m_model->numItems()));
        m_model->decode(z.data(), 1, scores.data());
        QCOMPARE(panel->traversalItems(), core::topK(scores, 10));
        // Shift-click on the map moves the crosshair.
        QSignalSpy moved(s, &LatentScatter::traversalMoved);
        QTest::mouseClick(s, Qt::LeftButton, Qt::ShiftModifier, QPoint(30, 30));
        QCOMPARE(moved.count(), 1);
        QVERIFY(s->hasTraversal());
    }

    void itemsView() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        const core::Tensor emb = m_model->itemEmbeddings();
        if (emb.rows == 0) QSKIP("the model exposes no item embeddings");
        panel->setSubject(LatentSubject::Items);
        QVERIFY(QTest::qWaitFor([&] {
            return panel->projection() && !panel->isBusy() && panel->points()->subject == LatentSubject::Items;
        }, 15000));
        QCOMPARE(panel->scatter()->pointCount(), static_cast<int>(emb.rows));
        QVERIFY(panel->setColourBy(LatentPanel::ColourBy::Popularity));
        const QString title = m_data->itemTitle(panel->points()->items[0]);
        QVERIFY(panel->scatter()->hoverText(0).contains(title.toHtmlEscaped()));
        QTemporaryDir dir;
        QVERIFY(panel->exportProjector(dir.path()));
        QCOMPARE(lineCount(dir.filePath(QStringLiteral("vectors.tsv"))), static_cast<int>(emb.rows));
        QCOMPARE(lineCount(dir.filePath(QStringLiteral("metadata.tsv"))), static_cast<int>(emb.rows) + 1);
        QCOMPARE(firstLine(dir.filePath(QStringLiteral("metadata.tsv"))), QStringLiteral("title\tgenres\tpopularity"));
    }

    void exportsWriteFiles() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        const int n = panel->scatter()->pointCount();
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("map.png"));
        QVERIFY(panel->exportPng(png));
        const QImage img(png);
        QVERIFY(!img.isNull());
        QVERIFY(img.width() >= 2 * panel->scatter()->width());
        const QString svg = dir.filePath(QStringLiteral("map.svg"));
        QVERIFY(panel->exportSvg(svg));
        QFile svgFile(svg);
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        QVERIFY(svgFile.readAll().contains("<svg"));
        const QString csv = dir.filePath(QStringLiteral("map.csv"));
        QVERIFY(panel->exportCsv(csv));
        QCOMPARE(firstLine(csv), QStringLiteral("index,id,x,y,colour"));
        QCOMPARE(lineCount(csv), n + 1);
        QVERIFY(panel->exportProjector(dir.path()));
        QCOMPARE(lineCount(dir.filePath(QStringLiteral("vectors.tsv"))), n);
        QCOMPARE(lineCount(dir.filePath(QStringLiteral("metadata.tsv"))), n + 1);
        QCOMPARE(firstLine(dir.filePath(QStringLiteral("metadata.tsv"))), QStringLiteral("id\tactivity\tcluster"));
    }

    void newBestModelReencodes() {
        auto panel = makePanel();
        QVERIFY(waitForMap(*panel));
        auto before = panel->points();
        Run* run = m_project->currentRun();
        run->bestModel = core::cloneModel(*m_model);
        QSignalSpy ready(panel.get(), &LatentPanel::mapReady);
        m_project->notifyRunChanged(run->id);
        QTRY_VERIFY_WITH_TIMEOUT(ready.count() > 0, 15000);
        QVERIFY(panel->points() != before);
        run->bestModel = m_model;
    }

    void vampPriorPseudoInputsAreDrawn() {
        // A VampPrior model's pseudo-inputs appear on the users' PCA map as diamonds, one per
        // pseudo-input, where their encoded means project.
        Project project;
        project.setData(m_data);
        core::TrainOptions options;
        options.epochs = 2;
        options.seed = 2;
        core::Trainer trainer(m_data->split,
                              core::createModel("vamp", core::Config::parse(
                                  R"({"hidden_size":16,"latent_dim":4,"pseudo_inputs":7,"batch_size":100})")),
                              options);
        while (!trainer.done()) trainer.runEpoch();
        auto run = std::make_shared<Run>();
        run->modelId = "vamp";
        run->bestModel = core::cloneModel(trainer.model());
        run->state = RunState::Finished;
        project.setCurrentRun(project.addRun(run)->id);
        LatentPanel panel(&project);
        panel.resize(900, 600);
        panel.show();
        QVERIFY(waitForMap(panel));
        QCOMPARE(panel.scatter()->specialPointCount(), 7);
        const core::Tensor pseudo = run->bestModel->pseudoInputLatents();
        const std::vector<float> expected =
            projectOnPca(*panel.projection(), core::PointSet{pseudo.rows, static_cast<int>(pseudo.cols), pseudo.data});
        QCOMPARE(panel.scatter()->specialPoints(), expected);
    }

    void cleanupTestCase() { m_project.reset(); }
};

QTEST_MAIN(LatentTest)
#include "latent_test.moc"
