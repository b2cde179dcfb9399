#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the libFuzzer harnesses from the kept corpus for a set time, report, and merge back.

Each target runs from tests/fuzz/corpus/<target> and tests/fuzz/seeds/<target> in a scratch
folder, with the dictionaries, the memory and time limits of tests/fuzz/README.md and every
status line time-stamped into <work>/<target>.log. At the end it prints one Markdown row per
target: run time, executions, edges at the start and at the end, when the last new edge was
found, and the findings (files libFuzzer wrote to <work>/art-<target>/). With --merge the grown
corpus is minimised back into tests/fuzz/corpus/<target> (-merge=1 -use_counters=0).

libFuzzer's edge count creeps up a little even when nothing new is reached: a few branches in
inlined library code depend on where the heap and stacks lie (address-space randomisation) or
on the length of a random temporary-file name. --late M tells real novelty from that: before
merging, it replays the corpus without the inputs of the run's last M minutes and then with
them, both with address randomisation off (setarch -R), and lists the edges only the late
inputs reach, by source line. --novelty M does the same for an earlier run's work folder
without fuzzing (--kept: the corpus that run started from, if it has been merged since).

    tests/fuzz/campaign.py --minutes 60 --jobs 2 split model   # two at a time, an hour each
    tests/fuzz/campaign.py --minutes 480 --merge               # all seven, overnight
    tests/fuzz/campaign.py --summary /tmp/vaecf-fuzz/model.log # report on an earlier log
    tests/fuzz/campaign.py --minutes 90 --late 30 archive      # anything new in the last 30?

Exit status: 0 when nothing was found, 1 when some target wrote a finding or exited with an
error, 2 for bad arguments. Needs the clang fuzz build (README.md here) and only Python's
standard library.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGETS = ['dataset', 'archive', 'split', 'model', 'side_features', 'project', 'checkpoint']
LARGE_INPUTS = {'archive', 'model', 'project', 'checkpoint'}   # seeds over 8 KiB
EXTRA_DICTS = {'project': ['model'], 'checkpoint': ['model']}
LIMITS = ['-rss_limit_mb=2048', '-malloc_limit_mb=1024', '-timeout=60']

# a status line, plain ('#4096 NEW cov: 977 ft: 2997 ...') or -fork ('#4096: cov: 977 ft: 2997 ...')
STATUS = re.compile(r'\s*([\d.]+) #(\d+)(?::|\s+(?:NEW|REDUCE|pulse|INITED|DONE))\s+cov: (\d+) ft: (\d+)')
EXECS = re.compile(r'\s*[\d.]+ stat::number_of_executed_units: (\d+)')
EXIT = re.compile(r'\s*([\d.]+) EXIT (-?\d+)')


def kept_dir(target):
    return os.path.join(ROOT, 'tests', 'fuzz', 'corpus', target)


def seeds_dir(target):
    return os.path.join(ROOT, 'tests', 'fuzz', 'seeds', target)


def fuzzer(build_dir, target):
    return os.path.join(build_dir, 'tests', 'fuzz', f'fuzz_{target}')


def summarize(log_path):
    """Figures of one time-stamped log: a dict, or None when it has no status line."""
    start = end_cov = last_new = None
    execs = 0
    end = 0.0
    exit_code = None
    with open(log_path, errors='replace') as f:
        for line in f:
            m = STATUS.match(line)
            if m:
                t, n, cov = float(m[1]), int(m[2]), int(m[3])
                if start is None:
                    start = cov
                if end_cov is None or cov > end_cov:
                    if end_cov is not None:
                        last_new = t
                    end_cov = cov
                execs, end = max(execs, n), t
                continue
            m = EXECS.match(line)
            if m:
                execs = int(m[1])
                continue
            m = EXIT.match(line)
            if m:
                end, exit_code = float(m[1]), int(m[2])
    if start is None:
        return None
    return {'seconds': end, 'execs': execs, 'edges_start': start, 'edges_end': end_cov,
            'last_new': last_new, 'exit': exit_code}


def row(target, s, findings):
    if s is None:
        return f'| {target} | (no status line: did it start?) | | | | {len(findings)} |'
    quiet = ('no new edge' if s['last_new'] is None
             else f"{s['seconds'] - s['last_new']:.0f} s before the end")
    return (f"| {target} | {s['seconds']:.0f} s ({s['seconds'] / 60:.1f} min) | {s['execs']:,} | "
            f"{s['edges_start']:,} → {s['edges_end']:,} | {quiet} | {len(findings)} |")


def dictionary(target, work):
    path = os.path.join(work, f'{target}.dict')
    with open(path, 'w') as out:
        for name in ['common', target] + EXTRA_DICTS.get(target, []):
            src = os.path.join(ROOT, 'tests', 'fuzz', 'dict', f'{name}.dict')
            if os.path.exists(src):
                with open(src) as f:
                    out.write(f.read() + '\n')
    return path


COVERED = re.compile(r'COVERED_FUNC: (?:hits: \d+ )?edges: (\d+)/\d+ (.*) (\S+:\d+)$')
UNCOVERED = re.compile(r'\s+UNCOVERED_PC: (\S+)$')


def coverage(exe, dirs, work):
    """Edges per function and uncovered PCs per source line of one deterministic replay."""
    cmd = [exe, '-runs=0', '-print_coverage=1', *LIMITS, *dirs]
    if shutil.which('setarch'):
        cmd = ['setarch', '-R', *cmd]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         errors='replace', cwd=work).stdout
    edges, uncovered, covered = 0, {}, None
    for line in out.splitlines():
        m = COVERED.match(line)
        if m:
            edges += int(m[1])
            # 'ns::Class::method(args) const' -> 'Class::method', for lines the compiler made (:0)
            covered = '::'.join(re.sub(r'\(.*', '', m[2].replace('(anonymous namespace)::', '')).split('::')[-2:])
            continue
        if line.startswith('UNCOVERED_FUNC'):
            covered = None
            continue
        m = UNCOVERED.match(line)
        if m and covered:
            pc = m[1] + (f' ({covered})' if m[1].endswith(':0') else '')
            uncovered[pc] = uncovered.get(pc, 0) + 1
    return edges, uncovered


def novelty(target, exe, grown, kept, work, minutes, log_path):
    """What the grown inputs of the run's last `minutes` reach that the others do not."""
    # The log's last line was written at its modification time, `last` seconds into the run.
    last = (summarize(log_path) or {'seconds': 0.0})['seconds']
    cutoff = os.path.getmtime(log_path) - last + max(last - minutes * 60, 0)
    early, late = (os.path.join(work, f'{target}.{k}') for k in ('early', 'late'))
    for d in (early, late):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for name in os.listdir(grown):
        src = os.path.join(grown, name)
        shutil.copy2(src, early if os.path.getmtime(src) < cutoff else late)
    base = [kept, seeds_dir(target), early]
    before, unc_before = coverage(exe, base, work)
    again, _ = coverage(exe, base, work)
    after, unc_after = coverage(exe, base + [late], work)
    lines = sorted(pc for pc, n in unc_before.items() if unc_after.get(pc, 0) < n)
    ours = [pc.removeprefix(ROOT + os.sep) for pc in lines if pc.startswith(ROOT)]
    return (f'{target}: the {len(os.listdir(late))} inputs of the last {minutes:g} min add '
            f'{after - before} edges to the {before:,} of the others (a second replay of those: '
            f'{again:,}); ' + (f'new in our code: {", ".join(ours)}' if ours else
                              'none in our code') +
            (f'; {len(lines) - len(ours)} lines in library headers' if len(lines) > len(ours) else ''))


def run_target(target, args):
    exe = fuzzer(args.build_dir, target)
    grown = os.path.join(args.work, target)
    art = os.path.join(args.work, f'art-{target}') + os.sep
    os.makedirs(grown, exist_ok=True)
    os.makedirs(art, exist_ok=True)
    before = set(os.listdir(art))
    cmd = [exe, *LIMITS, f'-max_len={16384 if target in LARGE_INPUTS else 8192}',
           f'-dict={dictionary(target, args.work)}', f'-max_total_time={int(args.minutes * 60)}',
           f'-artifact_prefix={art}', '-print_final_stats=1']
    if args.fork:
        cmd += [f'-fork={args.fork}', '-ignore_crashes=1', '-ignore_ooms=1', '-ignore_timeouts=1']
    cmd += [grown, kept_dir(target), seeds_dir(target)]
    log_path = os.path.join(args.work, f'{target}.log')
    t0 = time.time()
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                errors='replace', cwd=args.work)
        for line in proc.stdout:
            log.write('%8.1f %s' % (time.time() - t0, line))
            log.flush()
        code = proc.wait()
        log.write('%8.1f EXIT %d\n' % (time.time() - t0, code))
    findings = sorted(set(os.listdir(art)) - before)
    if args.late:
        print(novelty(target, exe, grown, kept_dir(target), args.work, args.late, log_path),
              flush=True)
    merged = None
    if args.merge and code == 0 and not findings:
        merged = merge(target, exe, grown, args.work)
    return target, summarize(log_path), findings, code, merged


def merge(target, exe, grown, work):
    kept = kept_dir(target)
    out = os.path.join(work, f'{target}.merged')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    with open(os.path.join(work, f'{target}.merge.log'), 'w') as log:
        code = subprocess.call([exe, '-merge=1', '-use_counters=0', *LIMITS, out, kept, grown],
                               stdout=log, stderr=subprocess.STDOUT, cwd=work)
    if code != 0 or not os.listdir(out):
        return f'merge failed (exit {code}); {kept} left as it was'
    shutil.rmtree(kept)
    shutil.copytree(out, kept)
    return f'{len(os.listdir(kept))} files kept'


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('targets', nargs='*', help=f'default: all of {" ".join(TARGETS)}')
    p.add_argument('--minutes', type=float, default=60, help='per target (default 60)')
    p.add_argument('--jobs', type=int, default=1, help='targets run side by side (default 1)')
    p.add_argument('--fork', type=int, default=0,
                   help='libFuzzer -fork=N: N processes per target, keeps going past findings')
    p.add_argument('--build-dir', default=os.path.join(ROOT, 'build-fuzz'))
    p.add_argument('--work', default='/tmp/vaecf-fuzz', help='scratch folder (default %(default)s)')
    p.add_argument('--merge', action='store_true',
                   help='minimise each grown corpus back into tests/fuzz/corpus when it found nothing')
    p.add_argument('--summary', nargs='+', metavar='LOG', help='only report on earlier logs')
    p.add_argument('--late', type=float, metavar='M',
                   help='before merging, list the edges only the inputs of the last M minutes reach')
    p.add_argument('--novelty', type=float, metavar='M',
                   help="only do --late's measurement for an earlier run in --work")
    p.add_argument('--kept', metavar='DIR',
                   help='with --novelty: the folder holding the corpora that run started from '
                        '(default tests/fuzz/corpus)')
    args = p.parse_args()

    header = ('| target | time | executions | edges at start → end | last new edge | findings |\n'
              '|---|---|---|---|---|---|')
    if args.summary:
        print(header)
        for log in args.summary:
            print(row(os.path.basename(log).removesuffix('.log'), summarize(log), []))
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown or args.minutes <= 0 or args.jobs < 1 or args.fork < 0 or \
            (args.late is not None and args.late <= 0) or (args.novelty is not None and args.novelty <= 0):
        p.error(f'unknown target {unknown[0]} (one of {" ".join(TARGETS)})' if unknown
                else '--minutes, --jobs, --late and --novelty must be positive, --fork not negative')
    targets = args.targets or TARGETS
    missing = [t for t in targets
               if not os.access(fuzzer(args.build_dir, t), os.X_OK)]
    if missing:
        p.error(f'{args.build_dir}/tests/fuzz/fuzz_{missing[0]} is missing: build the fuzz tree '
                '(VAECF_FUZZ=ON, clang; tests/fuzz/README.md)')
    if args.novelty:
        kept = args.kept or os.path.join(ROOT, 'tests', 'fuzz', 'corpus')
        for t in targets:
            exe = fuzzer(args.build_dir, t)
            log = os.path.join(args.work, f'{t}.log')
            if not os.path.isdir(os.path.join(args.work, t)) or not os.path.exists(log):
                p.error(f'{args.work} holds no run of {t} ({t}/ and {t}.log)')
            print(novelty(t, exe, os.path.join(args.work, t), os.path.join(kept, t), args.work,
                          args.novelty, log))
        return 0
    os.makedirs(args.work, exist_ok=True)

    failed = False
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for target, s, findings, code, merged in pool.map(lambda t: run_target(t, args), targets):
            rows.append(row(target, s, findings))
            for name in findings:
                print(f'{target}: finding {os.path.join(args.work, "art-" + target, name)}')
            if code != 0:
                print(f'{target}: libFuzzer exited {code} (see {args.work}/{target}.log)')
            if merged:
                print(f'{target}: corpus merged, {merged}')
            failed |= bool(findings) or code != 0
    print(header)
    print('\n'.join(rows))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
