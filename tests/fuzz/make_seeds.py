#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the hand-made seed inputs of every fuzz target into tests/fuzz/seeds/<target>/.

All content is synthetic (made up here); nothing comes from a real dataset. The model and
project seeds start from the tiny model files that the fuzz_make_model_seeds program writes,
the checkpoint seeds from the training checkpoints it writes into a second folder:

    build/tests/fuzz/fuzz_make_model_seeds /tmp/vaecf-model-seeds /tmp/vaecf-checkpoint-seeds
    tests/fuzz/make_seeds.py /tmp/vaecf-model-seeds /tmp/vaecf-checkpoint-seeds

"--only TARGET" writes the seeds of one target that needs no model files (dataset, archive,
split or side_features) and nothing else, e.g. tests/fuzz/make_seeds.py --only dataset.

The fuzzers grow the corpus from these seeds; the minimised result is kept in corpus/
(see README.md).
"""
import bz2
import gzip
import io
import json
import lzma
import os
import sys
import tarfile
import warnings
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds")
SEP = b"\n%%\n"


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def files(*parts):
    return SEP.join(p if isinstance(p, bytes) else p.encode() for p in parts)


# ------------------------------------------------------------------------------------------
# Plain dataset files (fuzz_dataset): layout byte, format byte, flags, columns, then files.

U_DATA = "1\t10\t5\t881250949\n1\t20\t3\t881250950\n2\t10\t4\t881250951\n3\t30\t1\t881250952\n"
U_ITEM = ("10|Toy Film (1995)|01-Jan-1995||http://example.org/10|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
          "20|Other Film (1996)|01-Jan-1996||http://example.org/20|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
          "30|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n")
U_GENRE = ("unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\n"
           "Documentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\n"
           "Romance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n")
ML1M = "1::10::5::978300760\n1::20::3::978302109\n2::10::4::978301968\n3::30::2::978300275\n"
MOVIES_DAT = b"10::Toy Film (1995)::Animation|Children's|Comedy\n20::Caf\xe9 Film (1996)::Drama\n30::Third::(no genres listed)\n"
ML_CSV = "userId,movieId,rating,timestamp\n1,10,4.0,964982703\n1,20,3.5,964981247\n2,10,0.5,964982224\n3,30,5,964983815\n"
MOVIES_CSV = ('movieId,title,genres\n10,Toy Film (1995),Adventure|Animation\n'
              '20,"Film, The (1996)",Comedy|Romance\n30,"Say ""Hi"" (2001)",(no genres listed)\n')
NETFLIX_1 = "1:\n11,3,2005-09-06\n12,5,2005-05-13\n2:\n11,4,2005-10-19\n13,1,2005-12-26\n"
NETFLIX_2 = "3:\n12,2,2004-01-01\n13,5,2004-02-02\n"
TITLES = "1,2003,Dinosaur Planet\n2,2004,Isle, Of Man\n3,NULL,Unknown Year\n"
MSD = ("0123456789abcdef0123456789abcdef01234567\tSOAAAAA12A8C000001\t1\n"
       "0123456789abcdef0123456789abcdef01234567\tSOAAAAB12A8C000002\t3\n"
       "fedcba9876543210fedcba9876543210fedcba98\tSOAAAAA12A8C000001\t2\n")
LASTFM = "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t250\n"
ARTISTS = "id\tname\turl\tpictureURL\n51\tBand A\thttp://example.org/a\thttp://example.org/a.jpg\n52\tBand B\t\t\n"
LINES_COUNT = "2 10 20\n1 30\n0\n3 10 30 40\n"
LINES = "u1 i1 i2 i3\nu2 i2\nu3 i1 i3\n"
DELIM_SEMI = "user;item;score\n1;a;2.5\n2;b;1\n3;a;4\n"
DELIM_QUOTED = '"user","item","rating"\n"1","a, b","3"\n"2","c""d","4.5"\n'
DELIM_SPACE = "1 10 1.0 100\n2 10 2.0 101\n2 20 3.0 102\n"
DELIM_PIPE = "1|10\n2|10\n2|20\n3|30\n"
DELIM_TAB_BOM = "\ufeffuser\titem\trating\r\n1\t10\t5\r\n2\t20\t3\r\n"
SPLIT_TRAIN = "uid,sid\n0,0\n0,1\n1,2\n"

LAYOUT = {"ml100k": 0, "ml1m": 1, "mlcsv": 2, "netflix": 3, "netflix-mv": 4, "msd": 5,
          "lastfm": 6, "users.dat": 7, "ratings.txt": 8, "data.csv": 9, "multi": 10,
          "ml-1m-nested": 11, "u1.base": 12, "liang": 13}
FORMAT = {"auto": 0, "ml100k": 1, "ml1m": 2, "mlcsv": 3, "netflix": 4, "msd": 5, "lines": 6,
          "lines-count": 7, "delimited": 8, "lastfm": 9, "liang": 10}


# Byte 1 above the format id: skipBadLines, small limits (64-byte lines, 32-byte parser
# chunks), a 1 MiB memory limit, estimateDatasetMemory() as well.
SKIP_BAD, LINE_64, MEMORY_1MIB, ESTIMATE = 0x10, 0x20, 0x40, 0x80


def dataset(name, layout, fmt, flags, cols, *parts, options=0):
    control = bytes([LAYOUT[layout], FORMAT[fmt] | options, flags, cols])
    put("dataset", name, control + files(*parts))


def dataset_seeds():
    dataset("ml100k", "ml100k", "auto", 0, 0, U_DATA, U_ITEM, U_GENRE)
    dataset("ml100k-folder-order", "ml100k", "ml100k", 3, 0, U_DATA, U_ITEM)
    dataset("ml1m", "ml1m", "auto", 0, 0, ML1M, MOVIES_DAT)
    dataset("ml1m-nested-folder", "ml-1m-nested", "auto", 1, 0, ML1M, MOVIES_DAT)
    dataset("mlcsv", "mlcsv", "auto", 0, 0, ML_CSV, MOVIES_CSV)
    dataset("mlcsv-folder", "mlcsv", "mlcsv", 3, 0, ML_CSV, MOVIES_CSV)
    dataset("netflix-combined", "netflix", "auto", 1, 0, NETFLIX_1, NETFLIX_2, TITLES)
    dataset("netflix-mv", "netflix-mv", "netflix", 1, 0, "1:\n11,3,2005-09-06\n", "2:\n12,4,2005-01-01\n", TITLES)
    dataset("msd", "msd", "auto", 0, 0, MSD)
    dataset("lastfm", "lastfm", "auto", 1, 0, LASTFM, ARTISTS)
    dataset("lines-count", "users.dat", "auto", 0, 0, LINES_COUNT)
    dataset("lines", "ratings.txt", "auto", 0, 0, LINES)
    dataset("lines-explicit", "data.csv", "lines", 2, 0, LINES)
    dataset("delimited-semicolon", "data.csv", "auto", 0, 0, DELIM_SEMI)
    dataset("delimited-quoted", "data.csv", "delimited", 0, 0, DELIM_QUOTED)
    dataset("delimited-space-time", "data.csv", "delimited", 2, 0xC0 | 0x00, DELIM_SPACE)
    dataset("delimited-pipe-implicit", "data.csv", "delimited", 4 << 2, 0x10, DELIM_PIPE)
    dataset("delimited-tab-bom-header", "data.csv", "auto", 1 << 5, 0, DELIM_TAB_BOM)
    dataset("multi-files", "multi", "auto", 1, 0, "1\t2\n3\t4\n", "# readme\n", "x y\n")
    dataset("u1-base", "u1.base", "auto", 0, 0, U_DATA, U_ITEM)
    dataset("liang-folder", "liang", "auto", 1, 0, SPLIT_TRAIN, "10\n20\n30\n")
    dataset("cancel", "ml100k", "auto", 0x80, 0, U_DATA)


# ------------------------------------------------------------------------------------------
# More dataset seeds, for reader branches the ones above miss. The first file is sniffed by its
# content, so a u.data or data.csv that is a gzip, bzip2, xz, zip or tar is read through
# libarchive: member names are free, and a few hundred bytes decompress to more than the 64 KiB
# sample, the 256 KiB parser chunk or the 1 MiB first buffer.

def gz(data):
    return gzip.compress(data, mtime=0)


def zip_fixed(members):
    """Like zip_of, but with a fixed time stamp (the same bytes every run) and repeated names."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": on purpose in zip-netflix-duplicate
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            z.writestr(info, data)
    return b.getvalue()


def dataset_coverage_seeds():
    ml100k = b"1\t2\t3\t4\n2\t3\t4\t5\n"
    ratings_dat = b"1::2::3::4\n"
    ratings_csv = b"userId,movieId,rating,timestamp\n1,2,3,4\n"
    movie1, movie2 = b"1:\n5,3,2005\n", b"2:\n6,3,2005\n"

    # Plain files.
    # excerpt(): a rating of 45 four-byte characters; "..." only because of the byte cut.
    dataset("excerpt-4byte-utf8", "ml100k", "ml100k", 0, 0, "1\t2\t" + "\U0001F600" * 45 + "\t4\n")
    # IdTable::growDirect(): the direct id array grows over an id already hashed (70000).
    dataset("lines-growdirect", "ratings.txt", "lines", 0, 0, "1 70000\n2 60000\n3 65000\n")
    # IdTable::add(): two 16-byte ids with the same hashBytes() value (the second word cancels
    # the difference of the first): collision with the last key, then in the probe loop.
    dataset("msd-hash-collision", "msd", "msd", 0, 0,
            "useraaaabbbbbbbb\tsong1\t1\nuyvxgnomJwTHJu7x\tsong1\t2\nuseraaaabbbbbbbb\tsong2\t1\n")
    # firstNonBlankLine(): a first line over the 64-byte limit is refused.
    dataset("delim-firstline-over-64b", "data.csv", "delimited", 0, 0, "x" * 100 + "\n1,2,3\n",
            options=LINE_64)
    # ChunkParser error() returning true: malformed lines skipped and reported.
    dataset("delim-skip-bad-lines", "data.csv", "delimited", (2 << 2) | (1 << 5), 0,
            "u,i,r\n1,2,3\nbad\n1,3,x\n2,2,4\n" + "y" * 100 + "\n", options=SKIP_BAD)
    # Skipping with a 64-byte line limit: a short and an over-long u.data line, Meta::bad()
    # counting a malformed u.item line.
    dataset("ml100k-skip-and-line-limit", "ml100k", "auto", 0, 0,
            "1\t2\t3\t4\nq\n" + "1\t" * 40 + "\n2\t2\t3\t4", "1|T|01-Jan-1995||u|0|1\nbad",
            "unknown|0\n", options=SKIP_BAD | LINE_64)

    # gzip, bzip2, xz: large text from small seeds.
    # open failure: a gzip stream cut after 40 bytes, "cannot open the archive: ...".
    dataset("gz-truncated", "ml100k", "auto", 0, 0, gz(ml100k * 50)[:40])
    # readDataset(): the last sampled line is dropped when the data exceeds 64 KiB.
    dataset("gz-delim-big", "data.csv", "delimited", 0, 0, gz(b"1,2\n3,4\n" * 9000))
    # sampleOf()/detectFile(): a 70 000-byte first line, truncated sample; readEntry stops at
    # maxBytes.
    dataset("gz-detect-longline", "data.csv", "auto", 0, 0, gz(b"a" * 70000 + b"\n"))
    # sampleOf(): exactly 64 KiB ending without a newline, a truncated sample of several lines.
    dataset("gz-sample-exactly-64k-no-final-newline", "data.csv", "auto", 0, 0x10,
            gz(b"1,2\n" * 16383 + b"1,22"))
    # Several parser chunks (LINE_64 also makes them 32 bytes): a chunk that is not its
    # segment's first, the merge of later chunks.
    dataset("delim-small-chunks", "data.csv", "delimited", 2 << 2, 0x10, "1,2\n3,4\n" * 40,
            options=LINE_64)
    # parseTriplets(): a last line without a newline, the chunk window reaches the end.
    dataset("lines-nonl-small-chunks", "ratings.txt", "lines", 0, 0,
            "1 2\n" * 20 + "1 " + "2 " * 20, options=LINE_64)
    # netflixLine()/parseTriplets(): rating lines of later chunks inherit the movie.
    dataset("netflix-small-chunks", "netflix", "netflix", 0, 0,
            "1:\n" + "5,3,2005-01-01\n6,4,2005-01-02\n" * 20 + "2:\n7,1,2005-01-03\n",
            options=LINE_64)
    # ChunkParser: a 102-byte line (over the 64-byte limit) across a chunk cut.
    dataset("lines-line-over-64b-at-chunk-cut", "ratings.txt", "lines", 0, 0,
            "1 2\n" * 20 + "1 " + "3" * 100 + "\n" + "1 2\n" * 5, options=LINE_64)
    # ChunkParser, lines-count: the too-long line is the last, without a newline.
    dataset("linescount-long-line-no-newline-64b", "users.dat", "lines-count", 0, 0,
            "1 2\n" * 20 + "1 " + "3" * 100, options=LINE_64)
    # readEntry: "decompresses to more than the memory limit" (2.4 MB, 1 MiB limit).
    dataset("bz2-memory-limit-refusal", "data.csv", "auto", 0, 0, bz2.compress(b"1,2,3\n" * 400000),
            options=MEMORY_1MIB | ESTIMATE)
    # IdTable::rehash(): more than 1024 hashed ids (13-digit items) in one chunk.
    dataset("xz-lines-2100-hashed-items", "ratings.txt", "lines", 0, 0,
            lzma.compress(b"1 " + b" ".join(b"%d" % (10**12 + i) for i in range(2100)) + b"\n",
                          preset=9 | lzma.PRESET_EXTREME))

    # tar: ArchiveReader::next() fails on a second header with a bad checksum.
    tar = bytearray(tar_of([("u.data", ml100k), ("x.dat", "1")], "w")[:3072])
    tar[1024 + 148:1024 + 156] = b"0000000\0"
    dataset("tar-badsum2", "ml100k", "auto", 0, 0, bytes(tar))

    # zip: member names. datasetName(): the MovieLens release from the folder name.
    dataset("zip-ml10m", "ml100k", "auto", 0, 0,
            zip_fixed([("ml-10M100K/ratings.dat", ratings_dat)]))
    for release in ("ml-10m", "ml-20m", "ml-25m", "ml-32m", "ml-latest", "ml-latest-small"):
        dataset("zip-mlcsv-" + release, "ml100k", "auto", 0, 0,
                zip_fixed([(release + "/ratings.csv", ratings_csv)]))
    # datasetName(): dirName "/" gives an empty stem, the name "MovieLens".
    dataset("zip-ratings-root-dirname", "ml100k", "auto", 0, 0,
            zip_fixed([("//ratings.dat", ratings_dat)]))
    # detectFile(): u1.test is ml100k by its name.
    dataset("zip-u1test", "ml100k", "auto", 0, 0, zip_fixed([("u1.test", b"1\t2\t3\t4\n")]))
    # netflixNumber(): -1 for an empty number, trailing text and 20 digits (parseInt).
    dataset("zip-netflix-badnumbers", "ml100k", "auto", 0, 0,
            zip_fixed([("mv_.txt", b"x"), ("mv_12a.txt", b"x"),
                       ("combined_data_99999999999999999999.txt", b"x"),
                       ("mv_0000001.txt", movie1)]))
    # readMany() on an archive: mv_*.txt files next to unwanted members.
    dataset("zip-netflix-mv", "ml100k", "auto", 0, 0,
            zip_fixed([("training_set/mv_0000002.txt", movie2),
                       ("training_set/mv_0000001.txt", movie1),
                       ("training_set/mv_abc.txt", b"x"), ("combined_data_x.txt", b"x")]))
    # readMany(): "./" stripped from member names; readEntry's cap from the shared limit.
    dataset("zip-netflix-dotslash", "ml100k", "auto", 0, 0,
            zip_fixed([("./combined_data_1.txt", movie1), ("./combined_data_2.txt", movie2)]))
    # readMany(): the second copy of a member is skipped.
    dataset("zip-netflix-duplicate", "ml100k", "auto", 0, 0,
            zip_fixed([("combined_data_1.txt", movie1), ("combined_data_1.txt", movie1),
                       ("combined_data_2.txt", movie2)]))
    # readMany(): an unwanted member of the same length as a wanted one (the memcmp).
    dataset("zip-netflix-samelen-other", "ml100k", "auto", 0, 0,
            zip_fixed([("aombined_data_1.txt", b"x"), ("combined_data_1.txt", movie1),
                       ("combined_data_2.txt", movie2)]))


# ------------------------------------------------------------------------------------------
# Archives (fuzz_archive): name byte, flags byte, then the archive.

ARCHIVE_NAMES = ["ml-latest-small.zip", "data.tar", "data.tar.gz", "ratings.csv.gz", "u.data.xz",
                 "ratings.dat.bz2", "data.7z", "ml-1m.zip", "ratings.txt.gz", "data.tgz",
                 "train_triplets.txt.gz", "netflix.tar.bz2"]


def zip_of(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()


def tar_of(members, mode):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode=mode, format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            data = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return b.getvalue()


# Byte 1 above keepFileOrder and the format: a memory limit (16 KiB, 256 KiB, 1 MiB) and
# skipBadLines with a 64-byte line limit.
LIMIT_16K, LIMIT_256K, LIMIT_1M, ARCHIVE_SKIP_BAD = 1 << 5, 2 << 5, 3 << 5, 0x80


def archive(name, archive_name, fmt, data, keep_order=False, options=0):
    flags = (FORMAT[fmt] << 1) | (1 if keep_order else 0) | options
    put("archive", name, bytes([ARCHIVE_NAMES.index(archive_name), flags]) + data)


def zip_understated(members, declared):
    """zip_fixed, but every member records `declared` as its uncompressed size (in its local
    header and in the central directory): the estimate believes it, the data goes on."""
    b = bytearray(zip_fixed(members))
    at = 0
    while True:  # local headers: the uncompressed size at +22
        at = b.find(b"PK\x03\x04", at)
        if at < 0:
            break
        b[at + 22:at + 26] = declared.to_bytes(4, "little")
        at += 4
    at = 0
    while True:  # central directory entries: at +24
        at = b.find(b"PK\x01\x02", at)
        if at < 0:
            break
        b[at + 24:at + 28] = declared.to_bytes(4, "little")
        at += 4
    return bytes(b)


def archive_seeds():
    archive("zip-mlcsv", "ml-latest-small.zip", "auto",
            zip_of([("ml-latest-small/ratings.csv", ML_CSV), ("ml-latest-small/movies.csv", MOVIES_CSV),
                    ("ml-latest-small/README.txt", "synthetic\n")]))
    archive("zip-ml1m-macosx", "ml-1m.zip", "auto",
            zip_of([("ml-1m/ratings.dat", ML1M), ("ml-1m/movies.dat", MOVIES_DAT),
                    ("__MACOSX/ml-1m/._ratings.dat", "junk")]))
    archive("tar-ml100k", "data.tar", "auto",
            tar_of([("ml-100k/u.data", U_DATA), ("ml-100k/u.item", U_ITEM), ("ml-100k/u.genre", U_GENRE)], "w"))
    archive("tgz-netflix", "data.tar.gz", "auto",
            tar_of([("download/combined_data_1.txt", NETFLIX_1), ("download/combined_data_2.txt", NETFLIX_2),
                    ("download/movie_titles.csv", TITLES)], "w:gz"), True)
    archive("tbz2-lastfm", "netflix.tar.bz2", "lastfm",
            tar_of([("user_artists.dat", LASTFM), ("artists.dat", ARTISTS)], "w:bz2"))
    archive("tgz-liang", "data.tgz", "auto",
            tar_of([("split/train.csv", SPLIT_TRAIN), ("split/unique_sid.txt", "10\n20\n30\n")], "w:gz"))
    archive("gz-mlcsv", "ratings.csv.gz", "auto", gzip.compress(ML_CSV.encode(), mtime=0))
    archive("xz-ml100k", "u.data.xz", "auto", lzma.compress(U_DATA.encode()))
    archive("bz2-ml1m", "ratings.dat.bz2", "auto", bz2.compress(ML1M.encode()))
    archive("gz-lines", "ratings.txt.gz", "auto", gzip.compress(LINES.encode(), mtime=0))
    archive("gz-msd", "train_triplets.txt.gz", "msd", gzip.compress(MSD.encode(), mtime=0), True)

    # Memory limits. readMany(): two Netflix members recording 1000 bytes each; the first fits
    # the limit, the second "decompresses to more than the ... left of the memory limit ...
    # after the files read before it" (6.4 + 24 KB under 16 KiB, 96 + 240 KB under 256 KiB).
    rating = b"11,3,2005-09-06\n"
    archive("zip-netflix-understated-shared-limit-16k", "ml-1m.zip", "auto",
            zip_understated([("combined_data_1.txt", b"1:\n" + rating * 400),
                             ("combined_data_2.txt", b"2:\n" + rating * 1500)], 1000),
            options=LIMIT_16K)
    archive("zip-netflix-understated-shared-limit-256k", "ml-1m.zip", "auto",
            zip_understated([("combined_data_1.txt", b"1:\n" + rating * 6000),
                             ("combined_data_2.txt", b"2:\n" + rating * 15000)], 1000),
            options=LIMIT_256K)
    # readEntry(): a .gz estimated at 4 x its size expands to 57 KB, past a 16 KiB limit.
    archive("gz-mlcsv-past-16k", "ratings.csv.gz", "auto",
            gz(ML_CSV.encode() + b"1,10,4.0,964982703\n" * 3000), options=LIMIT_16K)
    # skipBadLines with 64-byte lines: a short and an over-long u.data line, a malformed u.item
    # line, skipped and reported; the file order kept; a 1 MiB limit the data fits in.
    archive("tar-ml100k-skip-bad-lines", "data.tar", "auto",
            tar_of([("ml-100k/u.data", U_DATA + "bad line\n" + "1\t" * 40 + "\n"),
                    ("ml-100k/u.item", U_ITEM + "bad\n"), ("ml-100k/u.genre", U_GENRE)], "w"),
            True, options=ARCHIVE_SKIP_BAD | LIMIT_1M)
    # readMetaFile() under the memory limit: a small ratings.csv and a 75 KB movies.csv (300
    # bytes compressed) refused under 16 KiB, read under 256 KiB.
    big_movies = [("ml-latest-small/ratings.csv", ML_CSV.encode()),
                  ("ml-latest-small/movies.csv",
                   MOVIES_CSV.encode() + b"40,Same Film (1999),Drama\n" * 3000)]
    archive("zip-mlcsv-big-movies-16k", "ml-latest-small.zip", "auto", zip_fixed(big_movies),
            options=LIMIT_16K)
    archive("zip-mlcsv-big-movies-256k", "ml-latest-small.zip", "auto", zip_fixed(big_movies),
            options=LIMIT_256K)


# ------------------------------------------------------------------------------------------
# Liang split folders (fuzz_split): missing-files byte (bit 7: skip bad lines), then
# unique_sid.txt, train.csv, validation_tr.csv, validation_te.csv, test_tr.csv, test_te.csv,
# unique_uid.txt.

def split_seeds():
    sid = "10\n20\n30\n40\n"
    uid = "u0\nu1\nu2\nu3\nu4\nu5\n"
    put("split", "complete", b"\x00" + files(sid, SPLIT_TRAIN, "uid,sid\n2,0\n2,3\n", "uid,sid\n2,1\n",
                                            "uid,sid\n3,3\n4,1\n", "uid,sid\n3,0\n4,2\n", uid))
    put("split", "no-unique-uid", b"\x40" + files(sid, "sid,uid\n0,0\n1,0\n2,1\n", "uid,sid\n2,0\n",
                                                 "uid,sid\n2,1\n", "uid,sid\n3,3\n", "uid,sid\n3,0\n"))
    put("split", "crlf-blank", b"\x00" + files("10\r\n20\r\n\r\n", "uid,sid\r\n0,0\r\n\r\n1,1\r\n",
                                              "uid,sid\r\n", "uid,sid\r\n2,1\r\n", "uid,sid\r\n3,0\r\n",
                                              "uid,sid\r\n", "a\nb\nc\nd\n"))
    # Bit 7: skipping bad lines (six here, one more than the report keeps) and repeated pairs.
    put("split", "skip-bad-lines", b"\x80" + files(sid, "uid,sid\n0,0\n0,9\n1,x\n1,1\n0,0\n-1,2\n 1 , 2 \n1,2,3\n",
                                                  "uid,sid\n2,0\n2,3\n7,1\n", "uid,sid\n2,1\n2,1\n",
                                                  "uid,sid\n3,3\n4,1\nx\n", "uid,sid\n3,0\n4,2\n\n", uid))
    put("split", "skip-bad-lines-no-unique-uid", b"\xc0" + files(sid, "sid,uid\n0,0\n1,0\n9,1\n2,1\n",
                                                                "uid,sid\n2,0\n2,-3\n", "uid,sid\n2,1\n",
                                                                "uid,sid\n3,3\n3;3\n", "uid,sid\n3,0\n"))


# ------------------------------------------------------------------------------------------
# Side features (fuzz_side_features): ids line, separator, then the table.

def side_feature_seeds():
    put("side_features", "csv-header", files("1 2 3 4", "id,f1,f2\n1,0.5,1\n2,1e3,-2\n3,0,0\n9,1,1\n"))
    put("side_features", "tab", files("a b c", "a\t1\t2\t3\nb\t4\t5\t6\n\nc\t+7\t8.5\t-9e-3\n"))
    put("side_features", "spaces-default-ids", b"1  0.5 0.25\n2 1 1\n5 -1 2\n")
    put("side_features", "crlf-bom", files("x y", "\ufeffid,a\r\nx,1\r\ny,2\r\n"))


# ------------------------------------------------------------------------------------------
# Model files (fuzz_model) and projects (fuzz_project), from make_model_seeds' files.

def run_json(run_id, model, config=None, model_file=None):
    r = {
        "id": run_id, "name": "Run %d" % run_id, "model": model, "config": config or {},
        "options": {"epochs": 2, "seed": 98765, "threads": 1, "patience": 0, "validate": True},
        "state": "finished", "error": "", "colour": "#1f77b4", "created": "2024-01-02T03:04:05",
        "fingerprint": "0123456789abcdef", "total_epochs": 2, "best_epoch": 1,
        "batches": {"update": [1, 2], "epoch": [1, 2], "x": [1.0, 1.0], "seconds": [0.1, 0.2],
                    "loss": [3.0, 2.5], "recon": [2.9, 2.4], "kl": [0.1, 0.1], "beta": [0.0, 0.2],
                    "penalty": [0.0, 0.0]},
        "epochs": [{"epoch": 1, "train": {"loss": 3.0, "recon": 2.9, "kl": 0.1, "beta": 0.0, "penalty": 0.0},
                    "batches": 1, "updates": 1, "train_seconds": 0.1, "eval_seconds": 0.01,
                    "validated": True, "improved": True, "seconds": 0.11,
                    "validation": {"mean": {"ndcg@100": 0.25}, "std_error": {"ndcg@100": 0.01},
                                   "users_scored": 3, "users_without_heldout": 0}}],
        "test": {"mean": {"recall@20": 0.5}, "std_error": {"recall@20": 0.1}, "users_scored": 2,
                 "users_without_heldout": 1},
    }
    if model_file:
        r["model_file"] = model_file
    return r


def project_json(runs, data=None):
    j = {"format": "vaecf-studio-project", "version": 1,
         "data": data or {"kind": "demo", "path": "", "demo": {"users": 300, "items": 50, "seed": 3}},
         "fingerprint": "0123456789abcdef", "runs": runs, "overlaid": [1], "current_run": 1}
    return json.dumps(j, indent=1).encode()


def model_seeds(model_dir):
    models = {}
    for f in sorted(os.listdir(model_dir)):
        if f.endswith(".vaecf"):
            with open(os.path.join(model_dir, f), "rb") as fh:
                models[f[:-6]] = fh.read()
    for mid, data in models.items():
        put("model", mid, b"\x00" + data)
        # Control bits 1-4 (fuzz_model.cpp): saved and loaded again, copied, embeddings and
        # pseudo-input latents, means without log-variances; so that every model meets them.
        put("model", mid + "-every-check", b"\x1e" + data)
    if "popularity" in models:
        put("model", "popularity-own-crc", b"\x01" + models["popularity"])
    # Projects: a model-less run, one run per model file, two runs.
    put("project", "no-models", b"\x00" + project_json([run_json(1, "popularity")]))
    file_data = {"kind": "file", "path": "data/ratings.csv",
                 "read": {"format": "auto", "delimiter": ",", "header": True, "user_column": 0,
                          "item_column": 1, "rating_column": 2, "time_column": -1},
                 "preprocess": {"rating_threshold": 3.5, "threshold_counts": False, "min_user": 5, "min_item": 0},
                 "split": {"heldout_users": 0, "heldout_fraction": 0.1, "test_proportion": 0.2,
                           "min_items_to_split": 5, "seed": 98765, "recipe": "python"},
                 "relative_path": "data/ratings.csv"}
    for mid in ("mult-vae", "popularity", "ease"):
        if mid in models:
            put("project", "run-" + mid, b"\x00" + files(
                project_json([run_json(1, mid, model_file="models/run-1.vaecf")], file_data), models[mid]))
    if "mult-dae" in models and "itemknn" in models:
        put("project", "two-runs", b"\x00" + files(
            project_json([run_json(1, "mult-dae", model_file="models/run-1.vaecf"),
                          run_json(2, "itemknn", model_file="models/run-2.vaecf")],
                         {"kind": "liang-folder", "path": "/tmp/split"}),
            models["mult-dae"], models["itemknn"]))
    project_rebuild_seeds(models, file_data)


def project_rebuild_seeds(models, file_data):
    """Control bits 1 and 2 of fuzz_project.cpp: the data rebuilt as opening the project does
    (small demo data; a data file inside the project folder, read from where a model file
    goes, its bytes kept by bit 0), the project applied and every run's JSON read back."""
    demo = {"kind": "demo", "path": "",
            "demo": {"users": 300, "items": 60, "clusters": 4, "genres": 6, "mean_activity": 10,
                     "seed": 3},
            "split": {"heldout_users": 20, "seed": 98765, "recipe": "notebook"}}
    # A run as saved while training, without name, colour, date or fingerprint: applyProject
    # fills them in.
    bare = dict(run_json(2, "popularity"), name="", state="running", colour="", created="",
                fingerprint="")
    if "popularity" in models:
        put("project", "demo-rebuilt-applied", b"\x06" + files(
            project_json([run_json(1, "popularity", model_file="models/run-1.vaecf"), bare], demo),
            models["popularity"]))
    # NaN (a diverged loss, metrics of an evaluation that scored no user) are saved as null.
    nan = run_json(1, "ease", {"lambda": 100.0})
    nan["batches"]["loss"] = [None, 2.5]
    nan["epochs"][0]["train"]["loss"] = None
    nan["epochs"][0]["validation"]["mean"]["ndcg@100"] = None
    nan["test"]["std_error"]["recall@20"] = None
    put("project", "nan-metrics-round-trip", b"\x04" + project_json([nan]))
    ratings = "user,item,rating\n" + "".join(
        "u%d,i%d,%d\n" % (u, i, 4 + (u + i) % 2) for u in range(1, 9) for i in range(1, 7))
    in_folder = dict(file_data, path="", relative_path="models/run-2.vaecf",
                     split=dict(file_data["split"], heldout_users=2))
    if "popularity" in models:
        put("project", "data-file-in-project-folder", b"\x07" + files(
            project_json([run_json(1, "popularity", model_file="models/run-1.vaecf")], in_folder),
            models["popularity"], ratings))
    # Saved again (bit 3) in place and elsewhere (bit 4), as the app's Save and Save As do; a
    # data file under the name a run's model is saved as is refused, keeping its bytes. Opened
    # over an earlier project (bit 5), as the window does.
    if "popularity" in models:
        applied = files(project_json([run_json(1, "popularity", model_file="models/run-1.vaecf"), bare], demo),
                        models["popularity"])
        put("project", "demo-rebuilt-applied-saved", b"\x0e" + applied)
        put("project", "demo-rebuilt-applied-saved-elsewhere", b"\x1e" + applied)
        put("project", "demo-rebuilt-applied-over-an-earlier-project", b"\x26" + applied)
        put("project", "data-file-in-project-folder-saved", b"\x0f" + files(
            project_json([run_json(1, "popularity", model_file="models/run-1.vaecf")], in_folder),
            models["popularity"], ratings))
        put("project", "data-file-is-where-a-model-saves", b"\x0f" + files(
            project_json([run_json(1, "popularity"),
                          run_json(7, "popularity", model_file="models/run-1.vaecf")], in_folder),
            models["popularity"], ratings))
    put("project", "split-folder-in-project-folder", b"\x02" + project_json(
        [run_json(1, "popularity")], {"kind": "liang-folder", "path": "", "relative_path": "models"}))


# ------------------------------------------------------------------------------------------
# Training checkpoints (fuzz_checkpoint), from make_model_seeds' checkpoints. Each twice:
# control byte 0 and the file (the harness writes the CRC), and control byte 8 and the file
# taken apart (JSON header, separator, tensor section: the harness puts the container around
# them). The control bits for one more epoch (2) and a stop after the first batch (4) on a few,
# and on a few the resume as the command line does it (16), epochs one below those run (32,
# with 2: as many as run) and the checkpoint saved and loaded again (64).

def checkpoint_parts(data):
    hlen = int.from_bytes(data[16:24], "little")
    return data[24:24 + hlen] + SEP + data[24 + hlen:-4]


def checkpoint_seeds(checkpoint_dir):
    names = sorted(os.listdir(checkpoint_dir))
    for f in names:
        with open(os.path.join(checkpoint_dir, f), "rb") as fh:
            data = fh.read()
        put("checkpoint", f, b"\x00" + data)
        put("checkpoint", f + "-parts", b"\x08" + checkpoint_parts(data))
        if f.startswith("mult-vae-") or f.startswith("bivae-"):
            put("checkpoint", f + "-parts-one-more-epoch-stopped", b"\x0e" + checkpoint_parts(data))
            put("checkpoint", f + "-parts-cli-one-more-epoch-stopped", b"\x1e" + checkpoint_parts(data))
        if f.startswith("bivae-"):
            put("checkpoint", f + "-parts-saved-again", b"\x48" + checkpoint_parts(data))
        if f in ("mult-vae-best-state", "mult-vae-best-tensors"):  # 1 and 2 epochs run
            put("checkpoint", f + "-parts-one-epoch-fewer", b"\x28" + checkpoint_parts(data))
            put("checkpoint", f + "-parts-epochs-as-run", b"\x2a" + checkpoint_parts(data))
    if "mult-dae-best-state" in names:
        with open(os.path.join(checkpoint_dir, "mult-dae-best-state"), "rb") as fh:
            put("checkpoint", "mult-dae-best-state-own-crc", b"\x01" + fh.read())


def main():
    writers = {"dataset": (dataset_seeds, dataset_coverage_seeds), "archive": (archive_seeds,),
               "split": (split_seeds,), "side_features": (side_feature_seeds,)}
    args = sys.argv[1:]
    if args[:1] == ["--only"]:
        if len(args) != 2 or args[1] not in writers:
            sys.exit("usage: make_seeds.py --only " + "|".join(writers))
        for write in writers[args[1]]:
            write()
        return
    for target in writers.values():
        for write in target:
            write()
    if len(args) > 0:
        model_seeds(args[0])
    else:
        print("no model folder given: skipping the model and project seeds", file=sys.stderr)
    if len(args) > 1:
        checkpoint_seeds(args[1])
    else:
        print("no checkpoint folder given: skipping the checkpoint seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
