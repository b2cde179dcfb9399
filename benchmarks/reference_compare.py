#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare vaecf with the PyTorch reference (../shared/bench/torch_ref.py) on this machine.

  quality: train Mult-VAE and Mult-DAE on a Liang split folder for several seeds and print
           the mean test metrics next to the reference figures of REFERENCE.md.
  speed:   time training epochs of ours and of torch_ref.py back to back, in one invocation,
           on the same synthetic data (make_synthetic.py preset), and print the ratios.

Usage (from the repository root, after a build):
  python3 benchmarks/reference_compare.py quality --split ../shared/datasets/ml-100k/liang-split
  python3 benchmarks/reference_compare.py speed --preset ml20m --epochs 3
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED_BENCH = os.path.normpath(os.path.join(ROOT, '..', 'shared', 'bench'))

# Test metrics of torch_ref.py (REFERENCE.md: mean over seeds 1, 2, 98765).
REFERENCE = {
    ('ml-100k', 'mult-vae'): {'ndcg@100': 0.4365, 'recall@20': 0.3857, 'recall@50': 0.5745},
    ('ml-100k', 'mult-dae'): {'ndcg@100': 0.4541, 'recall@20': 0.4139, 'recall@50': 0.5951},
    ('synthetic-ml1m', 'mult-vae'): {'ndcg@100': 0.4276, 'recall@20': 0.3524, 'recall@50': 0.4321},
    ('synthetic-ml1m', 'mult-dae'): {'ndcg@100': 0.4257, 'recall@20': 0.3440, 'recall@50': 0.4185},
}


def vaecf_bin(build):
    path = os.path.join(build, 'app', 'vaecf')
    if not os.path.exists(path):
        sys.exit('no %s: build first (packaging/setup.sh build)' % path)
    return path


def quality(args):
    name = os.path.basename(os.path.dirname(os.path.abspath(args.split)))
    rows = []
    for model in args.models:
        runs = []
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as tmp:
                rec = os.path.join(tmp, 'run')
                cmd = [vaecf_bin(args.build), 'train', args.split, '--model', model, '--epochs',
                       str(args.epochs), '--seed', str(seed), '--threads', str(args.threads),
                       '--record', rec, '-q']
                t0 = time.time()
                subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
                with open(rec + '.json') as f:
                    r = json.load(f)
                runs.append(r)
                print('%s seed %d: test NDCG@100 %.4f R@20 %.4f R@50 %.4f (best epoch %d, %.0f s)' %
                      (model, seed, r['test']['ndcg@100'], r['test']['recall@20'],
                       r['test']['recall@50'], r['best_epoch'], time.time() - t0), flush=True)
        mean = {k: statistics.mean(r['test'][k] for r in runs) for k in ('ndcg@100', 'recall@20', 'recall@50')}
        sd = {k: statistics.pstdev(r['test'][k] for r in runs) for k in mean}
        spe = statistics.mean(statistics.median(e['train_seconds'] for e in r['epochs']) for r in runs)
        rows.append((model, mean, sd, spe))
    print('\n| model | test NDCG@100 | Recall@20 | Recall@50 | s/epoch | reference NDCG@100 / R@20 / R@50 | margin (ours − ref) |')
    print('|---|---|---|---|---|---|---|')
    for model, mean, sd, spe in rows:
        ref = REFERENCE.get((name, model))
        refs = ' / '.join('%.4f' % ref[k] for k in mean) if ref else 'n/a'
        margin = ' / '.join('%+.4f' % (mean[k] - ref[k]) for k in mean) if ref else 'n/a'
        print('| %s | %.4f ± %.4f | %.4f ± %.4f | %.4f ± %.4f | %.3f | %s | %s |' %
              (model, mean['ndcg@100'], sd['ndcg@100'], mean['recall@20'], sd['recall@20'],
               mean['recall@50'], sd['recall@50'], spe, refs, margin))


def speed(args):
    data = args.data or os.path.join(tempfile.gettempdir(), 'vaecf-synth-%s.csv' % args.preset)
    if not os.path.exists(data):
        print('generating %s ...' % data, flush=True)
        subprocess.run(['/usr/bin/python3', os.path.join(SHARED_BENCH, 'make_synthetic.py'), '--preset',
                        args.preset, '--out', data], check=True)
    # Ours first: RUSAGE_CHILDREN then holds our peak alone.
    with tempfile.TemporaryDirectory() as tmp:
        js = os.path.join(tmp, 'ours.json')
        cmd = [vaecf_bin(args.build), 'bench', data, '--format', 'delimited', '--implicit',
               '--model', args.model, '--epochs', str(args.epochs), '--threads', str(args.threads),
               '--json', js]
        print('$', ' '.join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        ours_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        with open(js) as f:
            ours = json.load(f)
        out = os.path.join(tmp, 'torch.json')
        env = dict(os.environ)
        tcm = '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4'
        if os.path.exists(tcm):
            env['LD_PRELOAD'] = tcm
        cmd = ['/usr/bin/python3', os.path.join(SHARED_BENCH, 'torch_ref.py'), '--data', data, '--format',
               'implicit', '--model', 'vae' if args.model == 'mult-vae' else 'dae', '--epochs',
               str(args.epochs), '--threads', str(args.threads), '--no-eval', '--out', out]
        print('$', ' '.join(cmd), flush=True)
        subprocess.run(cmd, check=True, env=env)
        with open(out) as f:
            ref = json.load(f)
    o = ours['sec_per_epoch_median_excl_first']
    r = ref['timing']['sec_per_epoch_median_excl_first']
    flops = ref['flops']['per_epoch']
    print('\n| run | s/epoch | GFLOP/s (matmul-equivalent) | peak RSS |')
    print('|---|---|---|---|')
    print('| vaecf (%s kernels, %d threads) | %.2f | %.0f | %.0f MB (process) |' %
          (ours['kernels'], args.threads, o, flops / o / 1e9, ours_rss))
    print('| torch_ref.py (tcmalloc, %d threads) | %.2f | %.0f | %.0f MB (training phase), %.0f MB (process) |' %
          (args.threads, r, flops / r / 1e9, ref['memory']['peak_rss_train_phase_mb'] or -1,
           ref['memory']['peak_rss_process_mb']))
    print('\nratio ours / reference: %.3f (target <= 0.6)' % (o / r))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--build', default=os.path.join(ROOT, 'build'))
    sub = ap.add_subparsers(dest='cmd', required=True)
    q = sub.add_parser('quality')
    q.add_argument('--split', required=True)
    q.add_argument('--models', nargs='+', default=['mult-vae', 'mult-dae'])
    q.add_argument('--seeds', nargs='+', type=int, default=[1, 2, 98765])
    q.add_argument('--epochs', type=int, default=200)
    q.add_argument('--threads', type=int, default=2)
    s = sub.add_parser('speed')
    s.add_argument('--preset', default='ml20m', choices=['small', 'ml1m', 'ml20m'])
    s.add_argument('--data', default=None, help='user,item CSV (default: generate the preset into /tmp)')
    s.add_argument('--model', default='mult-vae', choices=['mult-vae', 'mult-dae'])
    s.add_argument('--epochs', type=int, default=3)
    s.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    quality(args) if args.cmd == 'quality' else speed(args)


if __name__ == '__main__':
    main()
