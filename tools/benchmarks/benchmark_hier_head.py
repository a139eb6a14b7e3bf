# Copyright (c) mmhier contributors. All rights reserved.
"""Cost of the hierarchical head and loss against a flat baseline, one run.

1. End-to-end forward (eval, ``no_grad``) of ``EncoderDecoder`` with the same
   ResNet-50-D8 backbone and either :class:`HierarchicalDecodeHead` (the
   ``hier_r50-d8`` config) or mmseg's ``FCNHead`` over the same leaves (the
   ``flat_r50-d8`` config), at 512x1024, batch 1. Goal: ratio <= 1.15.
2. ``HierarchicalLoss`` forward + backward against mmseg's
   ``CrossEntropyLoss`` over the same leaves, on logits of the label size
   (batch 1, 512x1024). Labels: every per-pixel node code uniformly, plus a
   fraction ``--weak-fraction`` of box-derived (weak) codes (default 0.02, a
   GTSDB-like share of box pixels; weak pixels cost the parents' detached
   decisions). Goal: ratio <= 1.5.

``--iters`` timed iterations after ``--warmup`` untimed ones, the two sides
of a comparison called alternately, as min / median / max of wall-clock and
of process CPU time (the latter is robust to other processes on a shared
machine); the ratios are ratios of medians. The load verdict before and
after the run says whether other processes competed for the cores::

    OMP_NUM_THREADS=2 python tools/benchmarks/benchmark_hier_head.py
"""
import argparse
import os

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmhier  # noqa: F401  (registers our components)
from mmhier.registry import MODELS
from mmhier.taxonomy import LabelTree

from timing import LoadCheck, format_row, ratio_of_medians, time_alternately

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, nargs=2, default=(512, 1024))
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--weak-fraction', type=float, default=0.02)
    parser.add_argument(
        '--skip-model', action='store_true', help='only the loss part')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--taxonomy',
        default=os.path.join(REPO, 'configs/_base_/taxonomies/'
                             'cvg_cityscapes_vistas_gtsdb.py'))
    return parser.parse_args()


def report(name_a, a, name_b, b, goal):
    """Rows of both sides and the ratio of medians ``b / a``."""
    for label, t in ((name_a, a), (name_b, b)):
        print(format_row(label, t))
    print(f'ratio {name_b}/{name_a}: wall {ratio_of_medians(b, a):.3f}  '
          f'cpu {ratio_of_medians(b, a, "cpu"):.3f}  (goal <= {goal})')


def build_segmentor(name, taxonomy, device):
    cfg = Config.fromfile(
        os.path.join(REPO, f'configs/_base_/models/{name}.py'))
    model_cfg = cfg.model
    model_cfg.pretrained = None
    # SyncBN needs a process group; BN is the same op at eval time
    for key in ('backbone', 'decode_head', 'auxiliary_head'):
        if model_cfg.get(key) is not None and 'norm_cfg' in model_cfg[key]:
            model_cfg[key].norm_cfg = dict(type='BN', requires_grad=True)
    if 'taxonomy' in model_cfg.decode_head:
        model_cfg.decode_head.taxonomy = taxonomy
    model_cfg.data_preprocessor = None
    model = MODELS.build(model_cfg)
    return model.to(device).eval()


def main():
    args = parse_args()
    init_default_scope('mmhier')
    device = args.device
    tree = LabelTree.build(args.taxonomy)
    h, w = args.size
    print(f'device={device} threads={torch.get_num_threads()} size={h}x{w} '
          f'leaves={tree.num_leaves} classifiers={tree.num_classifiers} '
          f'warmup={args.warmup} iters={args.iters} (ms: min/median/max)')
    load = LoadCheck(threads=torch.get_num_threads())
    print(load.before())
    img = torch.randn(1, 3, h, w, device=device)
    metas = [dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w))]
    if not args.skip_model:
        flat = build_segmentor('flat_r50-d8', args.taxonomy, device)
        assert flat.decode_head.conv_seg.out_channels == tree.num_leaves, \
            'the flat config must have num_leaves outputs'
        hier = build_segmentor('hier_r50-d8', args.taxonomy, device)
        with torch.no_grad():
            t_flat, t_hier = time_alternately(
                [lambda: flat.encode_decode(img, metas),
                 lambda: hier.encode_decode(img, metas)], args.iters,
                args.warmup, device)
        del flat, hier
        report('flat_r50-d8 (FCNHead)', t_flat, 'hier_r50-d8', t_hier, 1.15)

    # ----- losses at label size
    hier_loss = MODELS.build(dict(type='HierarchicalLoss'))
    hier_loss.bind_taxonomy(tree)
    hier_loss.to(device)
    ce = MODELS.build(dict(type='CrossEntropyLoss'))
    codes = torch.randint(1, tree.num_nodes, (1, h, w), device=device)
    weak = torch.rand(1, h, w, device=device) < args.weak_fraction
    codes[weak] = torch.randint(
        tree.weak_offset, tree.num_codes, (int(weak.sum()), ),
        device=device)
    # the flat model's labels: the leaf of every leaf code, weak ones too
    leaf_of = torch.as_tensor(tree.code_to_leaf(weak=True),
                              device=device)[codes]
    leaf_label = torch.where(leaf_of < 0, torch.full_like(leaf_of, 255),
                             leaf_of)
    # an image of a dataset without classifier switches
    names = [next(n for n in tree.dataset_names
                  if tree.dataset_classifier_mask(n).all())]
    # one logit map per classifier, as HierarchicalDecodeHead hands them over
    cls_logits = [
        torch.randn(1, k, h, w, device=device, requires_grad=True)
        for k in tree.classifier_sizes
    ]
    leaf_logits = torch.randn(
        1, tree.num_leaves, h, w, device=device, requires_grad=True)

    def run_hier():
        for logits in cls_logits:
            logits.grad = None
        sum(hier_loss(cls_logits, codes, names).values()).backward()

    def run_ce():
        leaf_logits.grad = None
        ce(leaf_logits, leaf_label, ignore_index=255).backward()

    t_ce, t_hier = time_alternately([run_ce, run_hier], args.iters,
                                    args.warmup, device)
    print(f'losses, {100 * args.weak_fraction:.0f}% weak pixels:')
    report('CrossEntropyLoss (leaves)', t_ce, 'HierarchicalLoss', t_hier, 1.5)
    print(load.after())


if __name__ == '__main__':
    main()
