# Copyright (c) mmhier contributors. All rights reserved.
"""Render a label tree to an image.

Example::

    python tools/analysis/draw_taxonomy.py \
        configs/_base_/taxonomies/cvg_cityscapes_vistas_gtsdb.py --out tree.png

Levels are columns (root on the left); every leaf has its own row, in the
tree's leaf order, and each internal node sits at the middle of its
children. Internal nodes (one softmax classifier each) are boxed and show
``C<j>: <name> (<slots>)``; leaves are dots in their palette colour. With
``--datasets`` each node lists the training datasets that label it (``*`` =
box labels).
"""
import argparse
from typing import Optional, Sequence

import matplotlib

matplotlib.use('Agg')  # file output only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mmhier.taxonomy import LabelTree  # noqa: E402


def layout(tree: LabelTree) -> np.ndarray:
    """(x, y) position per node: x = level, y = row (leaves 0, 1, ...;
    internal nodes at the mean of their children)."""
    pos = np.zeros((tree.num_nodes, 2))
    pos[:, 0] = tree.level
    pos[tree.leaves, 1] = np.arange(tree.num_leaves)
    for node in sorted(tree.classifier_nodes, key=lambda n: -tree.level[n]):
        pos[node, 1] = pos[tree.children(node), 1].mean()
    return pos


def dataset_labels(tree: LabelTree,
                   datasets: Optional[Sequence[str]] = None) -> list:
    """Per node, the datasets mapping a raw id to it (``*`` = box); by
    default the training datasets (not ``eval_only``)."""
    if datasets is None:
        datasets = [n for n in tree.dataset_names
                    if not tree.dataset_info(n)['eval_only']]
    labels = [[] for _ in range(tree.num_nodes)]
    for name in datasets:
        info = tree.dataset_info(name)
        mark = '*' if info['annotation'] == 'box' else ''
        for node in sorted(set(info['raw_to_node'].tolist()) - {0}):
            labels[node].append(name + mark)
    return labels


def draw_tree(tree: LabelTree,
              out_file: str,
              show_datasets: bool = False,
              dpi: int = 120) -> plt.Figure:
    """Draw ``tree`` and save it to ``out_file``; returns the figure."""
    pos = layout(tree)
    height = max(3.0, 0.17 * tree.num_leaves + 1.0)
    width = 3.2 * (tree.depth + 1) + (3.0 if show_datasets else 0.0)
    fig, ax = plt.subplots(figsize=(width, height))
    for node in range(1, tree.num_nodes):  # elbow edges parent -> child
        (px, py), (cx, cy) = pos[tree.parent[node]], pos[node]
        mid = px + 0.5
        ax.plot([px, mid, mid, cx], [py, py, cy, cy], color='0.6', lw=0.7,
                zorder=1)
    extra = dataset_labels(tree) if show_datasets else None
    for node in range(tree.num_nodes):
        x, y = pos[node]
        name = tree.node_names[node]
        suffix = f'  [{", ".join(extra[node])}]' if extra and extra[
            node] else ''
        if tree.is_leaf(node):
            colour = tree.node_palette[node] / 255.0
            ax.scatter([x], [y], s=22, color=colour, edgecolors='k',
                       linewidths=0.4, zorder=2)
            ax.text(x + 0.08, y, name + suffix, va='center', fontsize=7)
        else:
            j = int(tree.node_own_classifier[node])
            ax.text(x, y, f'C{j}: {name} ({tree.classifier_sizes[j]})'
                    + suffix, va='center', ha='center', fontsize=8,
                    fontweight='bold', zorder=3,
                    bbox=dict(boxstyle='round', fc='lightyellow', ec='k'))
    for level in range(tree.depth + 1):
        ax.text(level, -1.5, 'root' if level == 0 else f'L{level}',
                ha='center', fontsize=9, color='0.3')
    ax.set_xlim(-0.6, tree.depth + 1.6 + (1.0 if show_datasets else 0.0))
    ax.set_ylim(tree.num_leaves + 0.5, -2.5)
    ax.set_axis_off()
    ax.set_title(f'{tree.name}: {tree.num_nodes} nodes, {tree.num_leaves} '
                 f'leaves, {tree.num_classifiers} classifiers '
                 f'({tree.total_slots} outputs)', fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file, dpi=dpi)
    return fig


def parse_args(args=None):
    parser = argparse.ArgumentParser(description='Draw a label tree file')
    parser.add_argument('tree', help='tree file (configs/_base_/taxonomies)')
    parser.add_argument('--out', default='tree.png', help='output image')
    parser.add_argument(
        '--datasets',
        action='store_true',
        help='list the datasets that label each node (* = box labels)')
    parser.add_argument('--dpi', type=int, default=120)
    return parser.parse_args(args)


def main(args=None):
    args = parse_args(args)
    tree = LabelTree.fromfile(args.tree)
    fig = draw_tree(tree, args.out, show_datasets=args.datasets, dpi=args.dpi)
    plt.close(fig)
    print(f'{tree!r}\nsaved to {args.out}')


if __name__ == '__main__':
    main()
