// SPDX-License-Identifier: MIT
// Dataset readers: every format on small hand-made files, archives, auto-detection, error
// messages with file and line, garbage input, parallel reads equal to sequential ones, and
// the real datasets in ../shared/datasets when present.
#include <archive.h>
#include <archive_entry.h>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "fixtures.h"
#include "archive_input.h"
#include "test_util.h"
#include "vaecf/dataset.h"
#include "vaecf/error.h"

using namespace vaecf::core;
using vaecf::test::TempDir;
using vaecf::test::writeFile;
namespace fs = std::filesystem;

namespace {

using vaecf::test::Triple;
using vaecf::test::triples;

ReadOptions withFormat(const char* format) {
    ReadOptions o;
    o.format = format;
    return o;
}

std::vector<std::string> strings(std::initializer_list<const char*> list) {
    return {list.begin(), list.end()};
}

// Writes an archive with libarchive: format "zip", "tar" or "raw"; filter "none", "gzip",
// "xz" or "bzip2". An entry named "symlink:NAME" is a symbolic link NAME to its data.
void writeArchive(const fs::path& path, const std::string& format, const std::string& filter,
                  const std::vector<std::pair<std::string, std::string>>& entries) {
    archive* a = archive_write_new();
    QVERIFY(a);
    if (format == "zip") archive_write_set_format_zip(a);
    else if (format == "tar") archive_write_set_format_pax_restricted(a);
    else archive_write_set_format_raw(a);
    if (filter == "gzip") QCOMPARE(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    else if (filter == "xz") QCOMPARE(archive_write_add_filter_xz(a), ARCHIVE_OK);
    else if (filter == "bzip2") QCOMPARE(archive_write_add_filter_bzip2(a), ARCHIVE_OK);
    QCOMPARE(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
    for (const auto& [name, data] : entries) {
        archive_entry* e = archive_entry_new();
        if (name.starts_with("symlink:")) {
            archive_entry_set_pathname(e, name.substr(8).c_str());
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, data.c_str());
            archive_entry_set_perm(e, 0777);
            QCOMPARE(archive_write_header(a, e), ARCHIVE_OK);
            archive_entry_free(e);
            continue;
        }
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        QCOMPARE(archive_write_header(a, e), ARCHIVE_OK);
        QCOMPARE(archive_write_data(a, data.data(), data.size()),
                 static_cast<la_ssize_t>(data.size()));
        archive_entry_free(e);
    }
    QCOMPARE(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

const char* kMlCsvRatings =
    "userId,movieId,rating,timestamp\n"
    "1,31,2.5,1260759144\n"
    "1,1029,3.0,1260759179\n"
    "7,31,4.0,1260759185\n"
    "1,31,5.0,1260759200\n"  // duplicate pair: the first (2.5) stays
    "7,11,4.5,1260759205\n";
const char* kMlCsvMovies =
    "movieId,title,genres\n"
    "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
    "31,Dangerous Minds (1995),Drama\n"
    "1029,\"Dumbo \"\"Elephant\"\" (1941)\",(no genres listed)\n";

void checkMlCsv(const Dataset& d) {
    QCOMPARE(d.format, std::string("mlcsv"));
    QCOMPARE(d.feedback, Feedback::Ratings);
    QCOMPARE(d.userIds, strings({"1", "7"}));
    QCOMPARE(d.itemIds, strings({"31", "1029", "11"}));
    const std::vector<Triple> want = {{"1", "31", 2.5f}, {"1", "1029", 3.0f},
                                      {"7", "31", 4.0f}, {"7", "11", 4.5f}};
    QCOMPARE(triples(d), want);
    QVERIFY(d.hasMetadata());
    QCOMPARE(d.genreNames, strings({"Comedy", "Drama", "Romance"}));
    QCOMPARE(d.items[0].title, std::string("Dangerous Minds (1995)"));
    QCOMPARE(d.items[0].genres, std::vector<std::int32_t>({1}));
    QCOMPARE(d.items[1].title, std::string("Dumbo \"Elephant\" (1941)"));
    QCOMPARE(d.items[1].year, 1941);
    QVERIFY(d.items[1].genres.empty());
    QCOMPARE(d.items[2].title, std::string("American President, The (1995)"));
    QCOMPARE(d.items[2].year, 1995);
    QCOMPARE(d.items[2].genres, std::vector<std::int32_t>({0, 1, 2}));
}

void writeMl100k(const fs::path& dir) {
    writeFile(dir / "u.data",
              "196\t242\t3\t881250949\n"
              "186\t302\t3\t891717742\n"
              "196\t1\t5\t881251000\n"
              "22\t242\t1\t878887116\n");
    // Latin-1: "Himmel \xFCber Berlin".
    writeFile(dir / "u.item",
              "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story"
              "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
              "242|Kolya|24-Jan-1997||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
              "302|Wings of Desire (Himmel \xFC" "ber Berlin) (1987)|01-Jan-1987||http://y"
              "|0|0|0|0|0|0|0|0|1|0|0|0|0|0|1|0|0|0|0\n");
    writeFile(dir / "u.genre",
              "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\n"
              "Documentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\n"
              "Mystery|13\nRomance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n");
}

}  // namespace

class ReadersTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void formatIdsListed() {
        const auto ids = formatIds();
        for (const char* id : {"auto", "ml100k", "ml1m", "mlcsv", "netflix", "msd", "lines",
                               "lines-count", "delimited", "lastfm", "liang"})
            QVERIFY2(std::find(ids.begin(), ids.end(), id) != ids.end(), id);
    }

    // A small compressed file that expands beyond the memory limit (a "zip bomb") is stopped
    // when the decompressed data reaches the limit, not when memory runs out.
    // Reading took the first member of the wanted name whatever its type, while listing
    // takes regular files only: a symbolic link ml-100k/u.data before the file hid it ("the
    // file is empty"), in read() and in readMany() (found by fuzz_archive's coverage review).
    void linksInArchivesDoNotHideTheirFiles() {
        TempDir dir;
        const std::string udata = "1\t2\t5\t881250949\n2\t3\t4\t881250950\n";
        const fs::path ml = dir / "ml.tar";
        writeArchive(ml, "tar", "none",
                     {{"symlink:ml-100k/u.data", "elsewhere"}, {"ml-100k/u.data", udata}});
        QCOMPARE(readDataset(ml).numInteractions(), std::int64_t(2));
        const fs::path nf = dir / "nf.tar";
        writeArchive(nf, "tar", "gzip",
                     {{"symlink:combined_data_1.txt", "x"}, {"combined_data_1.txt", "1:\n5,3,2005-01-01\n"},
                      {"symlink:combined_data_2.txt", "y"}, {"combined_data_2.txt", "2:\n6,4,2005-01-02\n"}});
        const Dataset d = readDataset(nf);
        QCOMPARE(d.numInteractions(), std::int64_t(2));
        QCOMPARE(d.itemIds, strings({"1", "2"}));
    }

    void compressedBombStopsAtTheMemoryLimit() {
        TempDir dir;
        std::string data;
        data.reserve(std::size_t(48) << 20);
        while (data.size() < (std::size_t(48) << 20)) data += "1\t2\t3\t4\n";
        const fs::path p = dir / "u.data.gz";
        writeArchive(p, "raw", "gzip", {{"u.data", data}});
        QVERIFY(fs::file_size(p) < (std::uintmax_t(1) << 20));  // 48 MiB from under 1 MiB
        ReadOptions o;
        o.memoryLimit = 20e6;
        // The estimate can only guess from the compressed size and lets it through...
        const MemoryEstimate e = estimateDatasetMemory(p, o);
        QVERIFY(!e.inputSizeKnown);
        QVERIFY(!e.exceedsLimit());
        // ...and decompression stops at the limit.
        EXPECT_MESSAGE(readDataset(p, o), p.string() + ": decompresses to more than the memory limit (20 MB)");
        // Without a limit (90 % of this machine) the same file reads: one repeated pair.
        o.memoryLimit = 0;
        const Dataset d = readDataset(p, o);
        QCOMPARE(d.numUsers(), 1);
        QCOMPARE(d.readReport.duplicates, std::int64_t(data.size() / 8 - 1));
    }

    // Members read together share one memory limit: what the first took is not left for the
    // next (reached only when an archive's recorded sizes understate its data, which the
    // dataset estimate trusts, so Container is called directly here).
    void membersReadTogetherShareTheMemoryLimit() {
        TempDir dir;
        const std::string six(std::size_t(6) << 20, 'x');
        const fs::path tar = dir / "two.tar";
        writeArchive(tar, "tar", "none", {{"a.txt", six}, {"b.txt", six}});
        const detail::Container c = detail::Container::open(tar);
        QCOMPARE(c.readMany({"a.txt", "b.txt"}, 20e6).at(1).view().size(), six.size());
        // 10e6 - 6 MiB = 3,708,544 bytes are left for b.txt.
        EXPECT_MESSAGE(c.readMany({"a.txt", "b.txt"}, 10e6),
                       tar.string() + ":b.txt: decompresses to more than the 4 MB left of the "
                                      "memory limit (10 MB) after the files read before it");
        EXPECT_MESSAGE(c.read("a.txt", SIZE_MAX, {}, 5e6),
                       tar.string() + ":a.txt: decompresses to more than the memory limit (5 MB)");
    }

    // Metadata beside the interactions is read under the same memory limit: a compressed
    // movies.csv that expands past it is refused (it was read under 90 % of the machine's
    // memory whatever limit the caller had set).
    void metadataReadsUnderTheMemoryLimit() {
        TempDir dir;
        std::string movies = "movieId,title,genres\n";
        for (int k = 1; movies.size() < (std::size_t(24) << 20); ++k)
            movies += std::to_string(k) + ",Film " + std::to_string(k) + " (1995),Comedy\n";
        const fs::path p = dir / "ml.tar.gz";
        writeArchive(p, "tar", "gzip",
                     {{"ml/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,1\n2,3,5,2\n"},
                      {"ml/movies.csv", movies}});
        ReadOptions o;
        o.memoryLimit = 20e6;
        EXPECT_MESSAGE(readDataset(p, o), p.string() + ":ml/movies.csv: decompresses to more than "
                                                       "the memory limit (20 MB)");
        o.memoryLimit = 0;
        const Dataset d = readDataset(p, o);
        QCOMPARE(d.items.size(), std::size_t(2));
        QCOMPARE(d.items[1].title, std::string("Film 3 (1995)"));
    }

    // Chunk size changes nothing: the same interactions, file order, duplicates and the same
    // "file:line" for a bad line, whatever the chunks (ReadOptions::minChunkBytes; the
    // fuzzers use 32 bytes to reach chunk boundaries with small files).
    void chunkSizeChangesNothing() {
        TempDir dir;
        std::string udata, netflix = "1:\n", lines;
        for (int k = 0; k < 60; ++k) {
            udata += std::to_string(k % 7) + "\t" + std::to_string(k % 11) + "\t" +
                     std::to_string(1 + k % 5) + "\t" + std::to_string(880000000 + k) + "\n";
            if (k % 9 == 8) netflix += std::to_string(k / 9 + 2) + ":\n";
            netflix += std::to_string(100 + k % 13) + "," + std::to_string(1 + k % 5) + ",2005-01-01\n";
            lines += std::to_string(k % 5) + " " + std::to_string(k) + " " + std::to_string(k + 1) + "\n";
        }
        const auto ud = writeFile(dir / "a/u.data", udata);
        const auto nf = writeFile(dir / "n/combined_data_1.txt", netflix);
        const auto ln = writeFile(dir / "l/ratings.txt", lines);
        for (const fs::path& p : {ud, nf, ln}) {
            ReadOptions o = withFormat(p == ln ? "lines" : "auto");
            o.keepFileOrder = true;
            const Dataset whole = readDataset(p, o);
            for (std::size_t chunk : {1, 7, 64}) {
                o.minChunkBytes = chunk;
                const Dataset d = readDataset(p, o);
                QCOMPARE(triples(d), triples(whole));
                QCOMPARE(d.fileOrder.users, whole.fileOrder.users);
                QCOMPARE(d.fileOrder.items, whole.fileOrder.items);
                QCOMPARE(d.readReport.duplicates, whole.readReport.duplicates);
            }
        }
        // Skipping bad lines: the same count and the same first examples, in file order
        // (chunks after the first used to report only the first of their Netflix rating
        // lines before any 'MovieID:' line; found by fuzz_dataset with 32-byte chunks).
        const auto nb = writeFile(dir / "b/combined_data_1.txt",
                                  "5,3,2005-01-01\n6,4,2005-01-02\nx\n" +
                                      std::string("7,2,2005-01-03\n") + "8,2,2005-01-03\n" +
                                      "9,2,2005-01-03\n1:\n6,4,2005-01-02\n");
        ReadOptions skip;
        skip.skipBadLines = true;
        std::vector<std::string> expected;
        for (int line : {1, 2, 3, 4, 5})
            expected.push_back(nb.string() + ":" + std::to_string(line) +
                               (line == 3 ? ": expected 3 fields separated by ',' (CustomerID,Rating,"
                                            "Date) or a 'MovieID:' line, found 1 fields"
                                          : ": rating line before any 'MovieID:' line"));
        for (std::size_t chunk : {std::size_t(1) << 18, std::size_t(1), std::size_t(20)}) {
            skip.minChunkBytes = chunk;
            const Dataset d = readDataset(nb, skip);
            QCOMPARE(d.readReport.skippedLines, std::int64_t(6));
            QCOMPARE(d.readReport.firstSkipped, expected);
            QCOMPARE(d.numInteractions(), std::int64_t(1));
        }

        writeFile(ud, udata + "1\t2\n" + udata);
        ReadOptions o;
        o.minChunkBytes = 7;
        EXPECT_MESSAGE(readDataset(ud, o), ud.string() + ":61: expected 4 fields separated by tab "
                                                          "(user, item, rating, timestamp), found 2");
    }

    void ml100k() {
        TempDir dir;
        writeMl100k(dir.path());
        for (const fs::path& p : {dir.path(), dir / "u.data"}) {
            QCOMPARE(detectFormat(p), std::string("ml100k"));
            const Dataset d = readDataset(p);
            QCOMPARE(d.name, std::string("MovieLens 100K"));
            QCOMPARE(d.format, std::string("ml100k"));
            QCOMPARE(d.feedback, Feedback::Ratings);
            QCOMPARE(d.userIds, strings({"196", "186", "22"}));
            QCOMPARE(d.itemIds, strings({"242", "302", "1"}));
            const std::vector<Triple> want = {{"196", "242", 3.f}, {"196", "1", 5.f},
                                              {"186", "302", 3.f}, {"22", "242", 1.f}};
            QCOMPARE(triples(d), want);
            QCOMPARE(d.genreNames.size(), std::size_t(19));
            QCOMPARE(d.genreNames[4], std::string("Children's"));
            QCOMPARE(d.items.size(), std::size_t(3));
            QCOMPARE(d.items[0].title, std::string("Kolya"));
            QCOMPARE(d.items[0].year, 1997);  // from the release date
            QCOMPARE(d.items[0].genres, std::vector<std::int32_t>({5}));
            QCOMPARE(d.items[1].title,
                     std::string("Wings of Desire (Himmel \xC3\xBC" "ber Berlin) (1987)"));
            QCOMPARE(d.items[1].year, 1987);
            QCOMPARE(d.items[1].genres, std::vector<std::int32_t>({8, 14}));
            QCOMPARE(d.items[2].title, std::string("Toy Story (1995)"));
            QCOMPARE(d.items[2].year, 1995);
            QCOMPARE(d.items[2].genres, std::vector<std::int32_t>({3, 4, 5}));
        }
    }

    void ml100kWithoutMetadata() {
        TempDir dir;
        writeFile(dir / "u1.base", "1\t2\t3\t4\n");
        const Dataset d = readDataset(dir / "u1.base");
        QCOMPARE(d.format, std::string("ml100k"));
        QVERIFY(!d.hasMetadata());
        QCOMPARE(d.numInteractions(), std::int64_t(1));
    }

    void ml1mLatin1AndUtf8() {
        TempDir dir;
        writeFile(dir / "ml-1m/ratings.dat",
                  "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\r\n");
        writeFile(dir / "ml-1m/movies.dat",
                  "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
                  "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
                  "5::Caf\xE9 (1999)::Drama\n");
        Dataset d = readDataset(dir / "ml-1m");
        QCOMPARE(d.format, std::string("ml1m"));
        QCOMPARE(d.name, std::string("MovieLens 1M"));
        QCOMPARE(d.userIds, strings({"1", "2"}));
        QCOMPARE(d.itemIds, strings({"1193", "661"}));
        const std::vector<Triple> want = {
            {"1", "1193", 5.f}, {"1", "661", 3.f}, {"2", "1193", 4.f}};
        QCOMPARE(triples(d), want);
        QCOMPARE(d.genreNames, strings({"Drama", "Animation", "Children's", "Musical"}));
        QCOMPARE(d.items[0].title, std::string("One Flew Over the Cuckoo's Nest (1975)"));
        QCOMPARE(d.items[0].year, 1975);
        QCOMPARE(d.items[1].genres, std::vector<std::int32_t>({1, 2, 3}));

        // 10M style: the same bytes in UTF-8 stay as they are; Latin-1 becomes UTF-8.
        writeFile(dir / "ml-1m/ratings.dat", "1::5::5::1\n");
        d = readDataset(dir / "ml-1m");
        QCOMPARE(d.items[0].title, std::string("Caf\xC3\xA9 (1999)"));
        writeFile(dir / "ml-10M100K/ratings.dat", "1::5::5::1\n");
        writeFile(dir / "ml-10M100K/movies.dat", "5::Caf\xC3\xA9 (1999)::Drama\n");
        d = readDataset(dir / "ml-10M100K" / "ratings.dat");
        QCOMPARE(d.name, std::string("MovieLens 10M"));
        QCOMPARE(d.items[0].title, std::string("Caf\xC3\xA9 (1999)"));
    }

    void mlCsvFolderAndFile() {
        TempDir dir;
        writeFile(dir / "ml-latest-small/ratings.csv", kMlCsvRatings);
        writeFile(dir / "ml-latest-small/movies.csv", kMlCsvMovies);
        writeFile(dir / "ml-latest-small/README.txt", "readme");
        QCOMPARE(detectFormat(dir / "ml-latest-small"), std::string("mlcsv"));
        Dataset d = readDataset(dir / "ml-latest-small");
        checkMlCsv(d);
        QCOMPARE(d.name, std::string("MovieLens latest (small)"));
        d = readDataset(dir / "ml-latest-small/ratings.csv");
        checkMlCsv(d);
        // Detected from the header under another name.
        writeFile(dir / "x/r.csv", kMlCsvRatings);
        QCOMPARE(detectFormat(dir / "x/r.csv"), std::string("mlcsv"));
    }

    void zipAsDownloaded() {
        TempDir dir;
        writeArchive(dir / "ml-20m.zip", "zip", "none",
                     {{"ml-20m/", ""}, {"ml-20m/README.txt", "MovieLens"},
                      {"ml-20m/movies.csv", kMlCsvMovies}, {"ml-20m/ratings.csv", kMlCsvRatings},
                      {"ml-20m/tags.csv", "userId,movieId,tag,timestamp\n1,2,x,3\n"}});
        QCOMPARE(detectFormat(dir / "ml-20m.zip"), std::string("mlcsv"));
        const Dataset d = readDataset(dir / "ml-20m.zip");
        checkMlCsv(d);
        QCOMPARE(d.name, std::string("MovieLens 20M"));
    }

    void compressedAndTarArchives() {
        TempDir dir;
        for (const char* filter : {"gzip", "xz", "bzip2"}) {
            const fs::path single = dir / (std::string("ratings.csv.") + filter);
            writeArchive(single, "raw", filter, {{"data", kMlCsvRatings}});
            QCOMPARE(detectFormat(single), std::string("mlcsv"));
            const Dataset d = readDataset(single);
            QCOMPARE(d.numInteractions(), std::int64_t(4));
            QCOMPARE(d.itemIds, strings({"31", "1029", "11"}));
            QVERIFY(!d.hasMetadata());
        }
        writeArchive(dir / "ml.tar.gz", "tar", "gzip",
                     {{"ml-25m/ratings.csv", kMlCsvRatings}, {"ml-25m/movies.csv", kMlCsvMovies}});
        Dataset d = readDataset(dir / "ml.tar.gz");
        checkMlCsv(d);
        QCOMPARE(d.name, std::string("MovieLens 25M"));
        std::string ml100k;
        TempDir src;
        writeMl100k(src.path());
        std::vector<std::pair<std::string, std::string>> entries;
        for (const char* f : {"u.data", "u.item", "u.genre"}) {
            std::ifstream in(src / f, std::ios::binary);
            entries.emplace_back(std::string("ml-100k/") + f,
                                 std::string(std::istreambuf_iterator<char>(in), {}));
        }
        writeArchive(dir / "ml-100k.tar.xz", "tar", "xz", entries);
        d = readDataset(dir / "ml-100k.tar.xz");
        QCOMPARE(d.format, std::string("ml100k"));
        QCOMPARE(d.items[2].title, std::string("Toy Story (1995)"));
    }

    void netflix() {
        TempDir dir;
        writeFile(dir / "nf/combined_data_1.txt",
                  "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n2:\n1488844,4,2005-09-06\n");
        writeFile(dir / "nf/combined_data_2.txt",
                  "3:\r\n30878,2,2005-12-26\r\n822109,1,2004-01-01\r\n");
        writeFile(dir / "nf/movie_titles.csv",
                  "1,2003,Dinosaur Planet\n2,2004,Isle of Man TT 2004 Review\n"
                  "3,NULL,Character, The Sequel\n");
        writeFile(dir / "nf/probe.txt", "1:\n30878\n");
        QCOMPARE(detectFormat(dir / "nf"), std::string("netflix"));
        const Dataset d = readDataset(dir / "nf");
        QCOMPARE(d.format, std::string("netflix"));
        QCOMPARE(d.name, std::string("Netflix Prize"));
        QCOMPARE(d.feedback, Feedback::Ratings);
        QCOMPARE(d.userIds, strings({"1488844", "822109", "30878"}));
        QCOMPARE(d.itemIds, strings({"1", "2", "3"}));
        const std::vector<Triple> want = {{"1488844", "1", 3.f}, {"1488844", "2", 4.f},
                                          {"822109", "1", 5.f},  {"822109", "3", 1.f},
                                          {"30878", "3", 2.f}};
        QCOMPARE(triples(d), want);
        QCOMPARE(d.items[0].title, std::string("Dinosaur Planet"));
        QCOMPARE(d.items[0].year, 2003);
        QCOMPARE(d.items[2].title, std::string("Character, The Sequel"));
        QCOMPARE(d.items[2].year, 0);
        // One file on its own.
        QCOMPARE(detectFormat(dir / "nf/combined_data_2.txt"), std::string("netflix"));
        QCOMPARE(readDataset(dir / "nf/combined_data_2.txt").numInteractions(), std::int64_t(2));
        // The older training_set/mv_*.txt layout.
        writeFile(dir / "old/training_set/mv_0000002.txt", "2:\n7,1,2005-01-01\n");
        writeFile(dir / "old/training_set/mv_0000001.txt", "1:\n8,2,2005-01-01\n7,3,2005-01-01\n");
        writeFile(dir / "old/movie_titles.csv", "1,2003,A\n2,2004,B\n");
        const Dataset old = readDataset(dir / "old");
        QCOMPARE(old.userIds, strings({"8", "7"}));
        QCOMPARE(old.itemIds, strings({"1", "2"}));
        QCOMPARE(old.items[1].title, std::string("B"));
    }

    void msd() {
        TempDir dir;
        const std::string u1 = "b80344d063b5ccb3212f76538f3d9e43d87dca9e";
        const std::string u2 = "85c1f87fea955d09b4bec2e36aee110927aab7d6";
        writeFile(dir / "triplets.txt", u1 + "\tSOAKIMP12A8C130995\t1\n" + u1 +
                                            "\tSOAPDEY12A81C210A9\t2\n" + u2 +
                                            "\tSOAKIMP12A8C130995\t10\n");
        QCOMPARE(detectFormat(dir / "triplets.txt"), std::string("msd"));
        const Dataset d = readDataset(dir / "triplets.txt");
        QCOMPARE(d.feedback, Feedback::Counts);
        QCOMPARE(d.userIds, std::vector<std::string>({u1, u2}));
        QCOMPARE(d.itemIds, strings({"SOAKIMP12A8C130995", "SOAPDEY12A81C210A9"}));
        const std::vector<Triple> want = {{u1, "SOAKIMP12A8C130995", 1.f},
                                          {u1, "SOAPDEY12A81C210A9", 2.f},
                                          {u2, "SOAKIMP12A8C130995", 10.f}};
        QCOMPARE(triples(d), want);
    }

    void lines() {
        TempDir dir;
        writeFile(dir / "baskets.txt", "alice b c a\nbob  c\n\ncarol a d a\n");
        QCOMPARE(detectFormat(dir / "baskets.txt"), std::string("lines"));
        const Dataset d = readDataset(dir / "baskets.txt");
        QCOMPARE(d.feedback, Feedback::Binary);
        QCOMPARE(d.userIds, strings({"alice", "bob", "carol"}));
        QCOMPARE(d.itemIds, strings({"b", "c", "a", "d"}));
        const std::vector<Triple> want = {{"alice", "b", 1.f}, {"alice", "c", 1.f},
                                          {"alice", "a", 1.f}, {"bob", "c", 1.f},
                                          {"carol", "a", 1.f}, {"carol", "d", 1.f}};
        QCOMPARE(triples(d), want);
    }

    void linesCount() {
        TempDir dir;
        writeFile(dir / "users.dat", "2 10 3\n1 3\n3 0 10 7\n");
        QCOMPARE(detectFormat(dir / "users.dat"), std::string("lines-count"));
        QCOMPARE(detectFormat(dir.path()), std::string("lines-count"));
        const Dataset d = readDataset(dir / "users.dat");
        QCOMPARE(d.format, std::string("lines-count"));
        QCOMPARE(d.feedback, Feedback::Binary);
        QCOMPARE(d.userIds, strings({"0", "1", "2"}));
        QCOMPARE(d.itemIds, strings({"10", "3", "0", "7"}));
        QCOMPARE(d.interactions.rowNnz(0), std::int64_t(2));
        QCOMPARE(d.interactions.rowNnz(1), std::int64_t(1));
        QCOMPARE(d.interactions.rowNnz(2), std::int64_t(3));
        writeFile(dir / "users.dat", "2 10 3\n3 1 2\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "users.dat", withFormat("lines-count")),
                           "users.dat:2: the line starts with count 3 but lists 2 items");
    }

    void delimitedDetection() {
        TempDir dir;
        // FilmTrust / Amazon style: "user item rating", spaces or tabs, no header.
        writeFile(dir / "ratings.txt", "1 1 2\n1 2 4\n2 1 3.5\n1 1 1\n");
        QCOMPARE(detectFormat(dir / "ratings.txt"), std::string("delimited"));
        Dataset d = readDataset(dir / "ratings.txt");
        QCOMPARE(d.format, std::string("delimited"));
        QCOMPARE(d.feedback, Feedback::Ratings);
        std::vector<Triple> want = {{"1", "1", 2.f}, {"1", "2", 4.f}, {"2", "1", 3.5f}};
        QCOMPARE(triples(d), want);
        writeFile(dir / "train.txt", "0\t5\t2.0\n1\t5\t5.0\n");
        QCOMPARE(readDataset(dir / "train.txt").numInteractions(), std::int64_t(2));

        // Semicolons, a header, text ids, quotes.
        writeFile(dir / "b.csv", "User;Item;Score\n\"u;1\";A7;4\nu2;A7;1\nu2;\"B\"\"x\";2\n");
        d = readDataset(dir / "b.csv");
        QCOMPARE(d.userIds, strings({"u;1", "u2"}));
        QCOMPARE(d.itemIds, strings({"A7", "B\"x"}));
        QCOMPARE(d.numInteractions(), std::int64_t(3));

        // Implicit: no rating column; header detected from the user column.
        writeFile(dir / "c.csv", "user,item\n5,9\n5,8\n6,9\n");
        ReadOptions o;
        o.format = "delimited";
        o.ratingColumn = -1;
        d = readDataset(dir / "c.csv", o);
        QCOMPARE(d.feedback, Feedback::Binary);
        writeFile(dir / "c2.csv", "5,9x\n");
        QCOMPARE(readDataset(dir / "c2.csv", o).itemIds, strings({"9x"}));
        want = {{"5", "9", 1.f}, {"5", "8", 1.f}, {"6", "9", 1.f}};
        QCOMPARE(triples(d), want);

        // Explicit delimiter, header and columns (item first, rating in column 3).
        writeFile(dir / "d.txt", "i1|u1|x|3\ni2|u1|x|5\n");
        o = {};
        o.format = "delimited";
        o.delimiter = '|';
        o.header = false;
        o.userColumn = 1;
        o.itemColumn = 0;
        o.ratingColumn = 3;
        d = readDataset(dir / "d.txt", o);
        want = {{"u1", "i1", 3.f}, {"u1", "i2", 5.f}};
        QCOMPARE(triples(d), want);
        o.ratingColumn = 4;
        VAECF_EXPECT_ERROR(readDataset(dir / "d.txt", o),
                           "d.txt:1: the rating column is 4 (counting from 0) but the line has "
                           "4 fields separated by '|'");
        // Columns outside what any line can have, or the same column twice, are refused
        // naming the file they were meant for (opening a project passes them from project.json).
        o.ratingColumn = 3;
        o.userColumn = -2;
        VAECF_EXPECT_ERROR(readDataset(dir / "d.txt", o),
                           (dir / "d.txt").string() +
                               ": the user column is -2; expected 0 to 31 (counting from 0)");
        o.userColumn = 1;
        o.timeColumn = 32;
        VAECF_EXPECT_ERROR(readDataset(dir / "d.txt", o),
                           (dir / "d.txt").string() +
                               ": the time column is 32; expected -1 (none) to 31 (counting from 0)");
        o.timeColumn = -1;
        o.itemColumn = 1;
        VAECF_EXPECT_ERROR(readDataset(dir / "d.txt", o),
                           (dir / "d.txt").string() +
                               ": the user and item columns are both 1; they must differ");
        // A delimiter that is a control byte is named by its value, not printed raw.
        o = {};
        o.format = "delimited";
        o.delimiter = '\x01';
        VAECF_EXPECT_ERROR(readDataset(dir / "d.txt", o),
                           "d.txt:1: the item column is 1 (counting from 0) but the line has "
                           "1 fields separated by the byte 0x01");
        // "::" by option.
        writeFile(dir / "e.dat", "a::b::1\n");
        o = {};
        o.format = "delimited";
        o.delimiter = ':';
        QCOMPARE(triples(readDataset(dir / "e.dat", o)), std::vector<Triple>({{"a", "b", 1.f}}));
    }

    void lastfm() {
        TempDir dir;
        writeFile(dir / "user_artists.dat",
                  "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t7\r\n");
        writeFile(dir / "artists.dat",
                  "id\tname\turl\tpictureURL\n51\tDuran Duran\thttp://a\thttp://b\n"
                  "52\tMorcheeba\thttp://c\thttp://d\n");
        QCOMPARE(detectFormat(dir.path()), std::string("lastfm"));
        QCOMPARE(detectFormat(dir / "user_artists.dat"), std::string("lastfm"));
        const Dataset d = readDataset(dir.path());
        QCOMPARE(d.format, std::string("lastfm"));
        QCOMPARE(d.feedback, Feedback::Counts);
        const std::vector<Triple> want = {{"2", "51", 13883.f}, {"2", "52", 11690.f},
                                          {"3", "51", 7.f}};
        QCOMPARE(triples(d), want);
        QCOMPARE(d.items[0].title, std::string("Duran Duran"));
        QCOMPARE(d.items[1].title, std::string("Morcheeba"));
    }

    void liangFolderIsNotADataset() {
        TempDir dir;
        writeFile(dir / "train.csv", "uid,sid\n0,0\n");
        writeFile(dir / "unique_sid.txt", "5\n");
        QCOMPARE(detectFormat(dir.path()), std::string("liang"));
        VAECF_EXPECT_ERROR(readDataset(dir.path()), "loadLiangSplit");
    }

    void malformedInput() {
        TempDir dir;
        writeFile(dir / "ml/ratings.csv",
                  "userId,movieId,rating,timestamp\n1,2,3.5,4\n1,2\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "ml"),
                           "ml/ratings.csv:3: expected 4 fields separated by ',' "
                           "(userId,movieId,rating,timestamp), found 2");
        writeFile(dir / "ml/ratings.csv", "userId,movieId,rating,timestamp\n1,2,good,4\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "ml"),
                           "ratings.csv:2: rating 'good' is not a number");
        writeFile(dir / "u/u.data", "1\t2\t3\t4\n2\t3\t4\t5\n\t5\t3\t881250949\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "u"), "u.data:3: user id is empty");
        writeFile(dir / "u/u.data", "1\t\t3\t4\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "u"), "u.data:1: item id is empty");
        writeFile(dir / "u/u.data", "1\t2\tnan\t4\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "u"), "u.data:1: rating 'nan' is not a number");
        writeFile(dir / "nf/combined_data_1.txt", "1488844,3,2005-09-06\n1:\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "nf"),
                           "combined_data_1.txt:1: rating line before any 'MovieID:' line");
        writeFile(dir / "nf/combined_data_1.txt", "1:\n1488844,3\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "nf"), "combined_data_1.txt:2: expected 3 fields");
        VAECF_EXPECT_ERROR(readDataset(dir / "nf", withFormat("mlcsv")), "missing ratings.csv");
        VAECF_EXPECT_ERROR(readDataset(dir / "nothere"), "no such file or folder");
        VAECF_EXPECT_ERROR(readDataset(dir / "nf", withFormat("parquet")),
                           "unknown format 'parquet' (known formats: auto, ml100k, ml1m, mlcsv, "
                           "netflix, msd, lines, lines-count, delimited, lastfm, liang)");
        writeFile(dir / "empty.csv", "");
        VAECF_EXPECT_ERROR(readDataset(dir / "empty.csv"), "empty.csv: the file is empty");
        VAECF_EXPECT_ERROR(readDataset(dir / "empty.csv", withFormat("delimited")),
                           "empty.csv: the file is empty");
        writeFile(dir / "h/ratings.csv", "userId,movieId,rating,timestamp\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "h"), "ratings.csv: contains no interactions");
        writeFile(dir / "bad.zip", std::string("PK\x03\x04", 4) + "this is not really a zip file");
        VAECF_EXPECT_ERROR(readDataset(dir / "bad.zip"), "bad.zip");
        writeFile(dir / "bad.gz", std::string("\x1F\x8B\x08\x00", 4) + "garbage garbage garbage");
        VAECF_EXPECT_ERROR(readDataset(dir / "bad.gz"), "bad.gz");
        writeFile(dir / "many/a.txt", "1 2 3\n");
        writeFile(dir / "many/b.txt", "1 2 3\n");
        VAECF_EXPECT_ERROR(readDataset(dir / "many"), "cannot tell which file");
        // Truncated archive: a valid zip cut short.
        writeArchive(dir / "ok.zip", "zip", "none", {{"ratings.csv", kMlCsvRatings}});
        std::ifstream in(dir / "ok.zip", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        writeFile(dir / "cut.zip", bytes.substr(0, bytes.size() / 2));
        VAECF_EXPECT_ERROR(readDataset(dir / "cut.zip"), "cut.zip");
    }

    void randomBytesNeverCrash() {
        TempDir dir;
        std::mt19937 rng(7);
        const std::string prefixes[] = {"", std::string("PK\x03\x04", 4), "\x1F\x8B",
                                        "1:\n", "userId,movieId,rating,timestamp\n", "BZh",
                                        "3 1 2 3\n", "1::2::"};
        int readOk = 0, errors = 0;
        for (int round = 0; round < 240; ++round) {
            std::string bytes = prefixes[round % std::size(prefixes)];
            const int n = static_cast<int>(rng() % 3000);
            for (int k = 0; k < n; ++k) {
                // Mostly text-like bytes so that the parsers get deep.
                const unsigned r = rng() % 100;
                bytes += r < 60 ? "0123456789,\t:\n .-|;\"x"[rng() % 21] : static_cast<char>(rng());
            }
            const fs::path p = writeFile(dir / ("f" + std::to_string(round) + ".dat"), bytes);
            for (const char* format : {"auto", "delimited", "netflix", "lines-count"}) {
                try {
                    ReadOptions o;
                    o.format = format;
                    const Dataset d = readDataset(p, o);
                    QVERIFY(d.interactions.indptr.size() == std::size_t(d.numUsers() + 1));
                    ++readOk;
                } catch (const Error&) {
                    ++errors;
                }
            }
        }
        QVERIFY(errors > 0);
        qInfo("random inputs: %d read, %d rejected with an error", readOk, errors);
    }

    // Several chunks read in parallel give what one sequential pass gives.
    void parallelEqualsSequential() {
        TempDir dir;
        std::mt19937 rng(3);
        std::string text = "userId,movieId,rating,timestamp\n";
        std::vector<std::string> users, items;
        std::map<std::string, std::size_t> userIndex, itemIndex;
        std::map<std::pair<std::size_t, std::size_t>, float> first;
        for (int k = 0; k < 250000; ++k) {
            const std::string u = std::to_string(rng() % 3000 + 1);
            // A text id late in the file makes the item column start over as text.
            const std::string i = k == 240000 ? "tt0114709" : std::to_string(rng() % 5000);
            const float v = static_cast<float>(rng() % 10 + 1) / 2.0f;
            text += u + "," + i + "," + std::to_string(v).substr(0, 3) + ",1\n";
            if (!userIndex.count(u)) userIndex[u] = users.size(), users.push_back(u);
            if (!itemIndex.count(i)) itemIndex[i] = items.size(), items.push_back(i);
            first.emplace(std::make_pair(userIndex[u], itemIndex[i]), v);
        }
        QVERIFY(text.size() > (std::size_t(3) << 20));
        writeFile(dir / "ratings.csv", text);
        std::uint64_t lastBytes = 0, total = 0;
        int calls = 0;
        ReadOptions o;
        o.progress = [&](std::uint64_t bytes, std::uint64_t all) {
            lastBytes = bytes;
            total = all;
            ++calls;
            return true;
        };
        const Dataset par = readDataset(dir / "ratings.csv", o);
        QVERIFY(calls > 1);
        QCOMPARE(lastBytes, total);
        o.threads = 1;
        const Dataset seq = readDataset(dir / "ratings.csv", o);
        QCOMPARE(par.userIds, users);
        QCOMPARE(par.itemIds, items);
        QCOMPARE(seq.userIds, users);
        QCOMPARE(seq.itemIds, items);
        QCOMPARE(par.interactions, seq.interactions);
        QCOMPARE(par.numInteractions(), static_cast<std::int64_t>(first.size()));
        const CsrMatrix& m = par.interactions;
        for (std::int64_t r = 0; r < par.numUsers(); ++r)
            for (std::int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k)
                QCOMPARE(m.values[k], first.at({std::size_t(r), std::size_t(m.indices[k])}));
        // An error far into the file names its line.
        text += "5,6\n";
        writeFile(dir / "ratings.csv", text);
        VAECF_EXPECT_ERROR(readDataset(dir / "ratings.csv"),
                           "ratings.csv:250002: expected 4 fields separated by ',' "
                           "(userId,movieId,rating,timestamp), found 2");
        // Cancelling.
        o.progress = [](std::uint64_t, std::uint64_t) { return false; };
        VAECF_EXPECT_ERROR(readDataset(dir / "ratings.csv", o), "cancelled");
    }

    void netflixAcrossChunks() {
        TempDir dir;
        std::mt19937 rng(5);
        std::string text;
        std::vector<Triple> want;
        std::map<std::string, std::size_t> userIndex;
        for (int movie = 1; movie <= 40; ++movie) {
            text += std::to_string(movie) + ":\n";
            std::set<std::string> seen;
            for (int k = 0; k < 5000; ++k) {
                const std::string u = std::to_string(rng() % 20000 + 6);
                text += u + "," + std::to_string(rng() % 5 + 1) + ",2005-01-01\n";
                if (!userIndex.count(u)) userIndex.emplace(u, userIndex.size());
            }
        }
        writeFile(dir / "combined_data_1.txt", text);
        const Dataset par = readDataset(dir / "combined_data_1.txt");
        ReadOptions o;
        o.threads = 1;
        const Dataset seq = readDataset(dir / "combined_data_1.txt", o);
        QCOMPARE(par.interactions, seq.interactions);
        QCOMPARE(par.userIds, seq.userIds);
        QCOMPARE(par.itemIds.size(), std::size_t(40));
        QCOMPARE(par.userIds.size(), userIndex.size());
        for (const auto& [u, idx] : userIndex) QCOMPARE(par.userIds[idx], u);
    }

    // Members of archives are named "archive.zip:member" in messages; empty members and
    // compressed files are "empty"; the memory estimate reads the sizes the archive records.
    void archiveMessagesAndEstimates() {
        TempDir dir;
        const fs::path zip = dir / "ml-100k.zip";
        writeArchive(zip, "zip", "none",
                     {{"ml-100k/u.data", "1\t2\t3\t4\n1\t2\n"}, {"ml-100k/u.item", ""}});
        EXPECT_MESSAGE(readDataset(zip),
                       zip.string() + ":ml-100k/u.data:2: expected 4 fields separated by tab (user, "
                                      "item, rating, timestamp), found 2");
        ReadOptions skip;
        skip.skipBadLines = true;
        const Dataset d = readDataset(zip, skip);
        QCOMPARE(d.readReport.firstSkipped,
                 std::vector<std::string>({zip.string() + ":ml-100k/u.data:2: expected 4 fields "
                                                          "separated by tab (user, item, rating, "
                                                          "timestamp), found 2"}));
        const std::string ratings(200000, '\n');  // 200,000 bytes (blank lines)
        writeArchive(zip, "zip", "none", {{"ml-100k/u.data", ratings}});
        const MemoryEstimate e = estimateDatasetMemory(zip);
        QCOMPARE(e.format, std::string("ml100k"));
        QCOMPARE(e.inputBytes, std::uint64_t(200000));
        QVERIFY(e.inputSizeKnown);
        QVERIFY(e.inputInMemory);                        // decompressed into memory
        QCOMPARE(e.interactions, std::int64_t(10000));   // 20 bytes a line
        QCOMPARE(e.bytes, 200000.0 + 10000.0 * 20);      // the text, then 20 bytes a record
        ReadOptions small;
        small.memoryLimit = 100000;
        EXPECT_MESSAGE(readDataset(zip, small),
                       zip.string() + ": needs about 400 kB of memory to read (estimated from its "
                                      "size); the memory limit is 100 kB");
        writeArchive(zip, "zip", "none", {{"ml-100k/u.data", ""}});
        EXPECT_MESSAGE(readDataset(zip), zip.string() + ":ml-100k/u.data: the file is empty");
        // A compressed file records no size: guessed at four times the compressed one.
        const fs::path gz = dir / "u.data.gz";
        writeArchive(gz, "raw", "gzip", {{"data", ""}});
        EXPECT_MESSAGE(readDataset(gz), gz.string() + ": the file is empty");
        writeArchive(gz, "raw", "gzip", {{"data", "1\t2\t3\t4\n"}});
        const MemoryEstimate g = estimateDatasetMemory(gz);
        QVERIFY(!g.inputSizeKnown);
        QCOMPARE(g.inputBytes, std::uint64_t(4 * fs::file_size(gz)));
        QCOMPARE(readDataset(gz).numInteractions(), std::int64_t(1));
    }

    void sharedMl100k() {
        const fs::path dir = vaecf::test::sharedDatasets() / "ml-100k";
        if (!fs::exists(dir / "u.data")) QSKIP("shared datasets not present (ml-100k)");
        const Dataset d = readDataset(dir);
        QCOMPARE(d.format, std::string("ml100k"));
        QCOMPARE(d.numUsers(), std::int64_t(943));
        QCOMPARE(d.numItems(), std::int64_t(1682));
        QCOMPARE(d.numInteractions(), std::int64_t(100000));
        QCOMPARE(d.genreNames.size(), std::size_t(19));
        QCOMPARE(d.items.size(), std::size_t(1682));
        QCOMPARE(d.userIds[0], std::string("196"));
        QCOMPARE(d.itemIds[0], std::string("242"));
        QCOMPARE(d.items[0].title, std::string("Kolya (1996)"));
        PreprocessReport report;
        const Dataset p = preprocess(d, {}, &report);
        QCOMPARE(p.numUsers(), std::int64_t(938));  // liang-split/stats.json users_total
        QCOMPARE(report.usersOut, std::int64_t(938));
        QCOMPARE(report.interactionsIn, std::int64_t(100000));
        QCOMPARE(report.interactionsOut + report.belowThreshold +
                     (report.interactionsIn - report.belowThreshold - report.interactionsOut),
                 report.interactionsIn);
    }

    void sharedOthers() {
        const fs::path root = vaecf::test::sharedDatasets();
        if (!fs::exists(root / "lastfm-hetrec2011-2k"))
            QSKIP("shared datasets not present (lastfm-hetrec2011-2k)");
        Dataset d = readDataset(root / "lastfm-hetrec2011-2k");
        QCOMPARE(d.format, std::string("lastfm"));
        QCOMPARE(d.feedback, Feedback::Counts);
        QCOMPARE(d.numUsers(), std::int64_t(1892));
        QCOMPARE(d.numItems(), std::int64_t(17632));
        QCOMPARE(d.numInteractions(), std::int64_t(92834));
        QCOMPARE(d.items.size(), std::size_t(17632));
        QVERIFY(!d.items[0].title.empty());

        QCOMPARE(detectFormat(root / "citeulike-a"), std::string("lines-count"));
        QCOMPARE(detectFormat(root / "filmtrust"), std::string("delimited"));
        QCOMPARE(detectFormat(root / "ml-100k"), std::string("ml100k"));
        QCOMPARE(detectFormat(root / "ml-100k/liang-split"), std::string("liang"));
        d = readDataset(root / "citeulike-a/users.dat");
        QCOMPARE(d.format, std::string("lines-count"));
        QCOMPARE(d.numUsers(), std::int64_t(5551));
        QCOMPARE(d.numItems(), std::int64_t(16980));
        QCOMPARE(d.numInteractions(), std::int64_t(204986));

        d = readDataset(root / "filmtrust/ratings.txt");
        QCOMPARE(d.format, std::string("delimited"));
        QCOMPARE(d.numUsers(), std::int64_t(1508));
        QCOMPARE(d.numItems(), std::int64_t(2071));
        QCOMPARE(d.numInteractions(), std::int64_t(35494));  // 35,497 lines, 3 repeated pairs

        d = readDataset(root / "amazon-office-5core/train.txt");
        QCOMPARE(d.format, std::string("delimited"));
        QCOMPARE(d.numUsers(), std::int64_t(4905));
        QCOMPARE(d.numItems(), std::int64_t(2414));
        QCOMPARE(d.numInteractions(), std::int64_t(31118));
    }
};

QTEST_APPLESS_MAIN(ReadersTest)
#include "readers_test.moc"
