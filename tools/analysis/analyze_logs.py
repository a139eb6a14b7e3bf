# Copyright (c) mmhier contributors. All rights reserved.
"""Plot training curves from MMEngine's ``vis_data/scalars.json``.

Example::

    python tools/analysis/analyze_logs.py \
        work_dirs/hier/*/vis_data/scalars.json \
        --keys 'decode.loss_hier.*' loss 'cityscapes/mIoU' --out curves.png

A thin version of mmseg's ``tools/analysis_tools/analyze_logs.py`` for our
logs. mmseg's tool reads the same file, but it imports seaborn (not an
OpenMMLab dependency, not installed with mmhier) only to set a plot style,
and it draws validation points with a marker only for the keys ``mIoU``,
``mAcc`` and ``aAcc``: our per-dataset metrics (``cityscapes/mIoU``,
``gtsdb/subset.mPA``) come out as marker-less lines, which show nothing for
a run validated once. This tool needs only matplotlib, takes shell-style
patterns for the keys (``decode.loss_hier.*`` gives the loss of every
classifier of the tree) and marks every point of a short series.

Every record of ``scalars.json`` is one JSON line holding ``step`` (the
iteration) and numbers; training records hold the losses and ``lr``,
validation records the metrics.
"""
import argparse
import fnmatch
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')  # file output only; no display needed
import matplotlib.pyplot as plt  # noqa: E402

#: Fields of a record that are positions, not curves.
POSITION_KEYS = ('step', 'iter', 'epoch')
#: Series with at most this many points get a marker on each point.
MARKER_MAX_POINTS = 30

Series = Dict[str, Tuple[List[int], List[float]]]


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(
        description='Plot curves from vis_data/scalars.json files')
    parser.add_argument(
        'json_logs', nargs='+', help='scalars.json of one or more runs')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=['loss'],
        help='keys or shell-style patterns (decode.loss_hier.*)')
    parser.add_argument('--title', help='title of the figure')
    parser.add_argument(
        '--legend', nargs='+', help='one name per log (default: its path)')
    parser.add_argument('--out', help='image file to write')
    parser.add_argument(
        '--list-keys',
        action='store_true',
        help='print the keys of each log and exit')
    return parser.parse_args(argv)


def load_scalars(path: str) -> Series:
    """``{key: (steps, values)}`` of every numeric field of ``path``."""
    series: Dict[str, Tuple[List[int], List[float]]] = defaultdict(
        lambda: ([], []))
    with open(path) as f:
        for num, line in enumerate(f, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            if 'step' not in record:
                raise KeyError(f'{path}:{num}: a record without "step"')
            for key, value in record.items():
                if key in POSITION_KEYS or isinstance(value, bool) or \
                        not isinstance(value, (int, float)):
                    continue
                steps, values = series[key]
                steps.append(int(record['step']))
                values.append(float(value))
    return dict(series)


def match_keys(series: Series, patterns: Sequence[str],
               path: str = '<log>') -> List[str]:
    """The keys of ``series`` matching ``patterns``, in pattern order then
    in the order of the log; a pattern matching nothing is an error."""
    keys = []
    for pattern in patterns:
        found = [k for k in series if fnmatch.fnmatchcase(k, pattern)]
        if not found:
            raise KeyError(f'{path}: no key matches {pattern!r}; the log has '
                           f'{sorted(series)}')
        keys += [k for k in found if k not in keys]
    return keys


def plot_curves(logs: Sequence[Tuple[str, Series]],
                patterns: Sequence[str],
                title: Optional[str] = None):
    """One line per (log, key) against the iteration; returns the figure."""
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, series in logs:
        for key in match_keys(series, patterns, name):
            steps, values = series[key]
            ax.plot(
                steps,
                values,
                label=f'{name}: {key}' if len(logs) > 1 else key,
                marker='o' if len(steps) <= MARKER_MAX_POINTS else None,
                markersize=3,
                linewidth=1)
    ax.set_xlabel('iter')
    ax.legend(fontsize='small')
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def main(argv: Optional[Sequence[str]] = None):
    args = parse_args(argv)
    legend = args.legend or args.json_logs
    if len(legend) != len(args.json_logs):
        raise ValueError(f'{len(legend)} legend names for '
                         f'{len(args.json_logs)} logs')
    logs = [(name, load_scalars(path))
            for name, path in zip(legend, args.json_logs)]
    if args.list_keys:
        for name, series in logs:
            print(f'{name}:\n  ' + '\n  '.join(series))
        return None
    fig = plot_curves(logs, args.keys, args.title)
    if args.out:
        fig.savefig(args.out, dpi=120)
        print(f'saved curves to {osp.abspath(args.out)}')
    else:
        print('no --out given: nothing written (the figure is returned)')
    return fig


if __name__ == '__main__':
    main()
