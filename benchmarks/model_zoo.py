#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Train every model of the catalog on a Liang split for several seeds and tabulate the test
metrics of the best-validation epoch (mean ± sd over seeds) with seconds per epoch.

Runs are cached in the --out JSON file (one entry per model, seed and setting), so an
interrupted sweep resumes where it stopped and a table can be re-printed without training.

Usage (from the repository root, after a build):
  python3 benchmarks/model_zoo.py --split ../shared/datasets/ml-100k/liang-split \\
      --out zoo-ml100k.json
  python3 benchmarks/model_zoo.py --split ../shared/datasets/synthetic-ml1m/liang-split \\
      --out zoo-ml1m.json --epochs vamp=100 --epochs hvamp=100 --set vamp:warmup_epochs=25
  python3 benchmarks/model_zoo.py --out zoo-ml100k.json --table   # print only

Speed: --bench DATA times `vaecf bench` for each model on a ratings file (e.g. the ml20m
synthetic preset of make_synthetic.py), the first --batches batches of --bench-epochs epochs
scaled to whole epochs, with Mult-VAE first as the baseline of the same invocation:
  python3 benchmarks/model_zoo.py --bench /tmp/vaecf-synth-ml20m.csv --batches 4 --out speed.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

MODELS = ['mult-vae', 'mult-dae', 'vamp', 'hvamp', 'hvamp-gated', 'bivae', 'recvae', 'ease',
          'itemknn', 'popularity']
METRICS = ['ndcg@100', 'recall@20', 'recall@50']


def parse_pairs(items, sep):
    out = {}
    for item in items or []:
        key, _, value = item.partition(sep)
        if not value:
            sys.exit('expected MODEL%sVALUE, got %r' % (sep, item))
        out.setdefault(key, []).append(value)
    return out


def run_key(model, seed, epochs, sets):
    return '%s|%d|%s|%s' % (model, seed, epochs, ','.join(sorted(sets)))


def train(args, model, seed, epochs, sets):
    binary = os.path.join(args.build, 'app', 'vaecf')
    if not os.path.exists(binary):
        sys.exit('no %s: build first (packaging/setup.sh build)' % binary)
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, 'run')
        cmd = [binary, 'train', args.split, '--format', 'liang', '--model', model, '--seed',
               str(seed), '--threads', str(args.threads), '--record', rec, '-q']
        if epochs:
            cmd += ['--epochs', str(epochs)]
        for s in sets:
            cmd += ['--set', s]
        t0 = time.time()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.time() - t0
        with open(rec + '.json') as f:
            r = json.load(f)
    secs = [e['train_seconds'] for e in r['epochs']]
    steady = secs[1:] if len(secs) > 1 else secs
    return {
        'model': model, 'seed': seed, 'sets': sets, 'epochs_arg': epochs, 'epochs': len(secs),
        'best_epoch': r['best_epoch'], 'test': {m: r['test'][m] for m in METRICS},
        'sec_per_epoch': statistics.median(steady) if steady else 0.0,
        'fit_seconds': sum(secs), 'wall_seconds': wall,
    }


def table(results, models):
    lines = ['| model | epochs | test NDCG@100 | Recall@20 | Recall@50 | s/epoch | best epochs |',
             '|---|---|---|---|---|---|---|']
    groups = {}
    for r in results.values():
        groups.setdefault((r['model'], r.get('epochs_arg', 0), tuple(r['sets'])), []).append(r)
    for key in sorted(groups, key=lambda k: (models.index(k[0]) if k[0] in models else 99, k)):
        if key[0] not in models:
            continue
        model, runs = key[0], groups[key]
        cells = []
        for m in METRICS:
            v = [r['test'][m] for r in runs]
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            cells.append('%.4f ± %.4f' % (statistics.mean(v), sd))
        iterative = max(r['epochs'] for r in runs) > 1
        speed = ('%.3f' % statistics.median(r['sec_per_epoch'] for r in runs)) if iterative else \
            ('%.2f (fit)' % statistics.median(r['fit_seconds'] for r in runs))
        epochs = str(max(r['epochs'] for r in runs)) if iterative else '—'
        best = ', '.join(str(r['best_epoch']) for r in sorted(runs, key=lambda r: r['seed'])) \
            if iterative else '—'
        name = model + (' (' + '; '.join(runs[0]['sets']) + ')' if runs[0]['sets'] else '')
        lines.append('| %s | %s | %s | %s | %s |' % (name, epochs, ' | '.join(cells), speed, best))
    return '\n'.join(lines)


def bench(args):
    binary = os.path.join(args.build, 'app', 'vaecf')
    models = ['mult-vae'] + [m for m in args.models if m != 'mult-vae']
    rows = []
    for model in models:
        with tempfile.TemporaryDirectory() as tmp:
            js = os.path.join(tmp, 'bench.json')
            cmd = [binary, 'bench', args.bench, '--format', 'delimited', '--implicit', '--model', model,
                   '--epochs', str(args.bench_epochs), '--batches', str(args.batches), '--threads',
                   str(args.threads), '--json', js]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            with open(js) as f:
                r = json.load(f)
        memory = next((l.split('about ')[1].split(' to')[0] for l in out.splitlines() if l.startswith('memory:')), '')
        # Closed-form models fit in their first epoch; later ones do nothing.
        spe = r['sec_per_epoch_median_excl_first'] if len(r['epoch_seconds']) > 1 and \
            r['sec_per_epoch_median_excl_first'] > 0.01 * r['epoch_seconds'][0] else r['epoch_seconds'][0]
        rows.append((model, spe, memory))
        print('%-12s %.2f s/epoch (estimated memory %s)' % (model, rows[-1][1], memory), flush=True)
    base = rows[0][1]
    print('| model | s/epoch | × Mult-VAE | memory (estimate) |')
    print('|---|---|---|---|')
    for model, spe, memory in rows:
        print('| %s | %.2f | %.2f | %s |' % (model, spe, spe / base, memory))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--split', help='Liang split folder')
    ap.add_argument('--out', required=True, help='JSON file caching the runs')
    ap.add_argument('--models', nargs='+', default=MODELS)
    ap.add_argument('--seeds', nargs='+', type=int, default=[1, 2, 98765])
    ap.add_argument('--epochs', action='append', help='MODEL=N (default: the model\'s own)')
    ap.add_argument('--set', action='append', help='MODEL:name=value, repeatable')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    ap.add_argument('--table', action='store_true', help='print the table of the cached runs only')
    ap.add_argument('--bench', help='ratings file to time epochs on (delimited, implicit)')
    ap.add_argument('--batches', type=int, default=4, help='--bench: batches timed per epoch')
    ap.add_argument('--bench-epochs', type=int, default=2, help='--bench: epochs timed (the first is warm-up)')
    args = ap.parse_args()
    if args.bench:
        return bench(args)
    results = {}
    if os.path.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    if not args.table:
        if not args.split:
            sys.exit('--split is required to train')
        epochs = {k: int(v[-1]) for k, v in parse_pairs(args.epochs, '=').items()}
        sets = parse_pairs(args.set, ':')
        for model in args.models:
            for seed in args.seeds:
                key = run_key(model, seed, epochs.get(model, 0), sets.get(model, []))
                if key in results:
                    continue
                r = train(args, model, seed, epochs.get(model, 0), sets.get(model, []))
                results[key] = r
                print('%-12s seed %5d: NDCG@100 %.4f R@20 %.4f R@50 %.4f | best epoch %d of %d | '
                      '%.3f s/epoch | %.0f s' % (model, seed, r['test']['ndcg@100'], r['test']['recall@20'],
                                                 r['test']['recall@50'], r['best_epoch'], r['epochs'],
                                                 r['sec_per_epoch'], r['wall_seconds']), flush=True)
                with open(args.out + '.tmp', 'w') as f:
                    json.dump(results, f, indent=1)
                os.replace(args.out + '.tmp', args.out)
    print(table(results, args.models))


if __name__ == '__main__':
    main()
