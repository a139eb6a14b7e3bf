# Copyright (c) mmhier contributors. All rights reserved.
"""Draw the training samples of a config, per source dataset, in the
taxonomy's node-code space.

Example::

    python tools/analysis/browse_dataset.py \
        configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py \
        --output-dir work_dirs/browse --dataset gtsdb --max 20 --not-show

mmseg's ``tools/analysis_tools/browse_dataset.py`` cannot do this: it
registers mmseg's modules with ``default_scope='mmseg'`` (so it cannot build
``HierConcatDataset`` or our pipelines), and it colours a label map by the
index of the dataset's ``classes``, while our maps hold node *codes* (see
:mod:`mmhier.taxonomy.encoding`): per-pixel codes of every tree node and
weak codes of the nodes that boxes were turned into (``BoxToMask``).

Each sample is what the model trains on (after the config's pipeline,
random crops and flips included) and is drawn with mmseg's
``SegLocalVisualizer`` over a palette of codes:

* per-pixel codes in the colour of their node, blended with the image at the
  visualizer's ``alpha`` and named by the node (mmseg's labels);
* weak codes hatched: every pixel on the diagonal stripes
  ``(row + col) % HATCH_PERIOD < HATCH_WIDTH`` of a box region takes the
  node's colour as is, and each connected box region is outlined in that
  colour with the node's name above (or below) it;
* ignored pixels (255) dimmed like mmseg's unlabelled ones.

One PNG per sample, ``<output-dir>/<dataset name>_<index in that
dataset>.png``. ``--seed`` fixes the random transforms, so a run can be
reproduced.
"""
import argparse
import os
import os.path as osp
from typing import Iterator, List, Optional, Sequence, Tuple

import cv2
import mmcv
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed
from mmengine.structures import PixelData

from mmhier.taxonomy import LabelTree
from mmhier.taxonomy.encoding import IGNORE_INDEX

#: Hatching of weak (box) codes: stripes ``HATCH_WIDTH`` pixels wide every
#: ``HATCH_PERIOD`` pixels along the anti-diagonal.
HATCH_PERIOD = 4
HATCH_WIDTH = 2


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(
        description='Draw the training samples of a config in the '
        "taxonomy's node space, one image per sample")
    parser.add_argument('config', help='train config file')
    parser.add_argument(
        '--output-dir', required=True, help='where to write the images')
    parser.add_argument(
        '--dataset',
        nargs='+',
        help='only these source datasets (dataset_name, e.g. gtsdb)')
    parser.add_argument(
        '--max', type=int, help='at most this many samples per dataset')
    parser.add_argument(
        '--not-show',
        action='store_true',
        help='only write the files, open no window')
    parser.add_argument(
        '--show-interval', type=float, default=2, help='seconds per image')
    parser.add_argument(
        '--without-labels',
        action='store_true',
        help='colours only: no node names on the image')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the random transforms')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the config, key=value')
    return parser.parse_args(argv)


def build_dataset(cfg: Config):
    """``cfg.train_dataloader.dataset`` built in the config's scope."""
    from mmhier.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmhier'))
    return DATASETS.build(cfg.train_dataloader.dataset)


def build_visualizer(cfg: Config):
    """The config's ``SegLocalVisualizer`` settings, without its storage
    backends (the images go to ``--output-dir``)."""
    from mmseg.visualization import SegLocalVisualizer
    vis_cfg = dict(cfg.get('visualizer', {}))
    kwargs = {k: vis_cfg[k] for k in ('alpha', ) if k in vis_cfg}
    return SegLocalVisualizer(name='mmhier_browse_dataset', **kwargs)


def sources(dataset) -> List[Tuple[str, object]]:
    """``(dataset_name, dataset)`` of each source of ``dataset`` (the
    sources of a ``HierConcatDataset``, else the dataset itself)."""
    if hasattr(dataset, 'datasets') and hasattr(dataset, 'dataset_names'):
        return list(zip(dataset.dataset_names, dataset.datasets))
    name = dataset.metainfo.get('dataset_name', type(dataset).__name__)
    return [(name, dataset)]


def iter_samples(dataset,
                 names: Optional[Sequence[str]] = None,
                 max_per_dataset: Optional[int] = None) -> Iterator[tuple]:
    """Yield ``(dataset_name, index, item)`` through the selected sources."""
    found = sources(dataset)
    if names:
        unknown = set(names) - {n for n, _ in found}
        if unknown:
            raise KeyError(f'no source dataset named {sorted(unknown)}; the '
                           f'config has {[n for n, _ in found]}')
    for name, source in found:
        if names and name not in names:
            continue
        num = len(source)
        if max_per_dataset is not None:
            num = min(num, max_per_dataset)
        for idx in range(num):
            yield name, idx, source[idx]


def code_palette(tree: LabelTree) -> Tuple[List[str], List[list]]:
    """Name and RGB colour of every label code ``0 .. 254`` (255 is ignore):
    a code takes its node's palette colour; weak codes are named
    ``'<node> (box)'``; the root code and unused codes are ``''`` / black.
    """
    names, colors = [], []
    for code in range(IGNORE_INDEX):
        node = int(tree.code_to_node[code])
        if node < 0:
            names.append('')
            colors.append([0, 0, 0])
            continue
        name = tree.node_names[node]
        names.append(f'{name} (box)' if tree.code_is_weak[code] else name)
        colors.append([int(c) for c in tree.node_palette[node]])
    return names, colors


def hatch_mask(height: int, width: int) -> np.ndarray:
    """Boolean ``[H, W]``: the pixels on the hatch stripes."""
    rows, cols = np.mgrid[:height, :width]
    return (rows + cols) % HATCH_PERIOD < HATCH_WIDTH


def draw_weak_codes(image: np.ndarray,
                    codes: np.ndarray,
                    tree: LabelTree,
                    names: Sequence[str],
                    colors: Sequence[list],
                    with_labels: bool = True) -> None:
    """Hatch, outline and (``with_labels``) name every weak-code region of
    ``codes`` on the RGB ``image`` (in place)."""
    weak = [int(c) for c in np.unique(codes) if tree.code_is_weak[c]]
    if not weak:
        return
    height, width = codes.shape
    font, scale, thickness = cv2.FONT_HERSHEY_SIMPLEX, 0.35, 1
    regions, boxes = [], []
    for code in weak:
        region = codes == code
        regions.append((region, tuple(colors[code])))
        num, _, stats, _ = cv2.connectedComponentsWithStats(
            region.astype(np.uint8), connectivity=8)
        boxes += [(names[code], tuple(colors[code]), int(x), int(y), int(w),
                   int(h)) for x, y, w, h, _ in stats[1:num]]
    # drawn in this order, so that no name and no outline covers a stripe
    # pixel of a box region: names (above the box when it fits, else below
    # it), outlines, hatching
    for text, color, x, y, _, h in boxes if with_labels else []:
        (tw, th), base = cv2.getTextSize(text, font, scale, thickness)
        top = y - th - base - 1
        if top < 0:
            top = min(y + h + 1, height - th - base)
        cv2.rectangle(image, (x, top), (x + tw, top + th + base), (0, 0, 0),
                      -1)
        cv2.putText(image, text, (x, top + th), font, scale, color,
                    thickness, cv2.LINE_AA)
    for _, color, x, y, w, h in boxes:
        cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), color, 1)
    stripes = hatch_mask(height, width)
    for region, color in regions:
        image[region & stripes] = color


def draw_sample(visualizer, item: dict, tree: LabelTree,
                with_labels: bool = True) -> np.ndarray:
    """RGB drawing of one packed sample (``inputs`` + ``data_samples``)."""
    image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR->RGB
    image = np.ascontiguousarray(image, dtype=np.uint8)
    codes = item['data_samples'].gt_sem_seg.data[0].numpy().astype(np.uint8)
    names, colors = code_palette(tree)
    # per-pixel codes: the label-map drawing of mmseg's add_datasample
    # (which itself only stores or writes the result; weak codes are left to
    # draw_weak_codes)
    pixel_codes = np.where(tree.code_is_weak[codes], IGNORE_INDEX, codes)
    drawn = visualizer._draw_sem_seg(
        image, PixelData(data=torch.from_numpy(pixel_codes[None])), names,
        colors, with_labels)
    drawn = np.ascontiguousarray(drawn)
    draw_weak_codes(drawn, codes, tree, names, colors, with_labels)
    return drawn


def dataset_tree(dataset) -> LabelTree:
    tree = getattr(dataset, 'tree', None)
    if not isinstance(tree, LabelTree):
        raise TypeError(
            f'{type(dataset).__name__} has no taxonomy (`tree`); its labels '
            'are not node codes: use mmseg\'s '
            'tools/analysis_tools/browse_dataset.py for it')
    return tree


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    set_random_seed(args.seed)
    dataset = build_dataset(cfg)
    tree = dataset_tree(dataset)
    visualizer = build_visualizer(cfg)
    os.makedirs(args.output_dir, exist_ok=True)
    written = []
    for name, idx, item in iter_samples(dataset, args.dataset, args.max):
        drawn = draw_sample(visualizer, item, tree,
                            not args.without_labels)
        out_file = osp.join(args.output_dir, f'{name}_{idx:05d}.png')
        mmcv.imwrite(mmcv.rgb2bgr(drawn), out_file)
        written.append(out_file)
        if not args.not_show:
            visualizer.show(drawn, win_name=osp.basename(out_file),
                            wait_time=args.show_interval)
    print(f'wrote {len(written)} images to {args.output_dir}')
    return written


if __name__ == '__main__':
    main()
