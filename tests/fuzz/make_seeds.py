#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the hand-made seed inputs of every fuzz target into tests/fuzz/seeds/<target>/.

All content is synthetic (made up here); nothing comes from a real dataset. The model and
project seeds start from the tiny model files that the fuzz_make_model_seeds program writes,
the checkpoint seeds from the training checkpoints it writes into a second folder:

    build/tests/fuzz/fuzz_make_model_seeds /tmp/vaecf-model-seeds /tmp/vaecf-checkpoint-seeds
    tests/fuzz/make_seeds.py /tmp/vaecf-model-seeds /tmp/vaecf-checkpoint-seeds

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


def dataset(name, layout, fmt, flags, cols, *parts):
    put("dataset", name, bytes([LAYOUT[layout], FORMAT[fmt], flags, cols]) + files(*parts))


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


def archive(name, archive_name, fmt, data, keep_order=False):
    flags = (FORMAT[fmt] << 1) | (1 if keep_order else 0)
    put("archive", name, bytes([ARCHIVE_NAMES.index(archive_name), flags]) + data)


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


# ------------------------------------------------------------------------------------------
# Liang split folders (fuzz_split): missing-files byte, then unique_sid.txt, train.csv,
# validation_tr.csv, validation_te.csv, test_tr.csv, test_te.csv, unique_uid.txt.

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


# ------------------------------------------------------------------------------------------
# Training checkpoints (fuzz_checkpoint), from make_model_seeds' checkpoints. Each twice:
# control byte 0 and the file (the harness writes the CRC), and control byte 8 and the file
# taken apart (JSON header, separator, tensor section: the harness puts the container around
# them). The control bits for one more epoch (2) and a stop after the first batch (4) on a few.

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
    if "mult-dae-best-state" in names:
        with open(os.path.join(checkpoint_dir, "mult-dae-best-state"), "rb") as fh:
            put("checkpoint", "mult-dae-best-state-own-crc", b"\x01" + fh.read())


def main():
    dataset_seeds()
    archive_seeds()
    split_seeds()
    side_feature_seeds()
    if len(sys.argv) > 1:
        model_seeds(sys.argv[1])
    else:
        print("no model folder given: skipping the model and project seeds", file=sys.stderr)
    if len(sys.argv) > 2:
        checkpoint_seeds(sys.argv[2])
    else:
        print("no checkpoint folder given: skipping the checkpoint seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
