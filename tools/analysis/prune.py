# Copyright (c) mmhier contributors. All rights reserved.
"""One-shot offline channel pruning of a checkpoint (YOLOR-style: the
Torch-Pruning recipe of the article "YOLOR剪枝【附代码】").

    python tools/analysis/prune.py CONFIG CHECKPOINT --out PRUNED.pth \
        [--layers 'backbone\\.layer[12]\\.' ...] [--first-n N] --ratio 0.5

Prints a per-layer table of parameters / FLOPs before and after and writes a
checkpoint with the weights of the pruned model and its pruning history in
``meta`` (plain data, loads with ``torch.load(weights_only=True)``). The
optimizer state is *not* carried over (it belongs to the unpruned shapes).
Fine-tune it with ``load_from=PRUNED.pth`` and a replay-only
``dict(type='PruningHook', ratio=None)`` in ``custom_hooks``; test it with
the same config (see docs/pruning.md).
"""
import argparse

import torch
from mmengine.config import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Prune the channels of a checkpoint (mmhier)')
    parser.add_argument('config', help='config of the checkpoint')
    parser.add_argument('checkpoint', help='checkpoint to prune')
    parser.add_argument('--out', required=True, help='pruned checkpoint')
    parser.add_argument('--ratio', type=float, required=True,
                        help='fraction of the selected channels to remove, '
                        'in (0, 1)')
    parser.add_argument('--layers', nargs='+', help='state-dict key '
                        'regular expressions of the layers to prune')
    parser.add_argument('--first-n', type=int,
                        help='prune only the first N selected layers')
    parser.add_argument('--layer-types', nargs='+',
                        default=['Conv2d', 'Linear'],
                        help='torch.nn layer classes that may be pruned')
    parser.add_argument('--ignored-layers', nargs='*', help='module-name '
                        'patterns never pruned (default: the heads)')
    parser.add_argument('--importance', default='magnitude',
                        choices=['magnitude', 'bn_scale'],
                        help='criterion (Taylor needs training gradients: '
                        'use PruningHook)')
    parser.add_argument('--global-pruning', action='store_true')
    parser.add_argument('--round-to', type=int)
    parser.add_argument('--module', default='',
                        help='sub-module to prune (e.g. model1 of MMT)')
    parser.add_argument('--replicate-to', nargs='*', default=[],
                        help='sub-modules that receive the same ops')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='tracing input size (default: cfg.crop_size)')
    parser.add_argument('--export', help='also pickle the whole pruned '
                        'model here (PICKLE: loading it executes code)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    if not 0.0 < args.ratio < 1.0:
        raise ValueError(f'--ratio must be in (0, 1), got {args.ratio}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    shape = args.shape or cfg.get('crop_size')
    if shape is None:
        raise ValueError(f'{args.config} has no crop_size: give --shape H W')

    from mmhier.apis import init_model
    from mmhier.pruning import (PruningHistory, PruningPlanner,
                                count_params_flops, export_pruned_model,
                                get_submodule, history_from_checkpoint,
                                layer_table, summary_line)
    from mmhier.utils import load_checkpoint_safe

    ckpt = load_checkpoint_safe(args.checkpoint)
    model = init_model(cfg, args.checkpoint)  # replays old history
    history = history_from_checkpoint(ckpt) or PruningHistory()
    target = get_submodule(model, args.module)
    for name in args.replicate_to:
        get_submodule(model, name)
    planner = PruningPlanner(
        layers=args.layers,
        layer_types=args.layer_types,
        first_n=args.first_n,
        ignored_layers=args.ignored_layers,
        importance=args.importance,
        global_pruning=args.global_pruning,
        round_to=args.round_to)
    selected, _ = planner.select(target)
    print(f'{len(selected)} layers selected: {list(selected)[:8]}'
          f'{" ..." if len(selected) > 8 else ""}')

    inputs = torch.randn(1, 3, int(shape[0]), int(shape[1]))
    before = count_params_flops(target, inputs, layer_wise=True)
    ops = planner.step(target, inputs, args.ratio)
    record = dict(
        source='tools/analysis/prune.py',
        module=args.module,
        targets=[args.module] + list(args.replicate_to),
        ratio=args.ratio,
        step=1,
        num_steps=1,
        ops=ops)
    if args.replicate_to:
        PruningHistory([dict(record, targets=list(args.replicate_to))
                        ]).replay(model)
    history.append(record)
    after = count_params_flops(target, inputs, layer_wise=True)
    print(layer_table(before, after))
    print(summary_line(before, after))

    meta = dict(ckpt.get('meta') or {})
    meta['pruning_history'] = history.to_meta()
    if getattr(model, 'dataset_meta', None) and 'dataset_meta' not in meta:
        meta['dataset_meta'] = model.dataset_meta  # for mmseg's inferencer
    torch.save(dict(meta=meta, state_dict=model.state_dict()), args.out)
    print(f'pruned checkpoint ({len(ops)} layer ops, {len(history)} '
          f'pruning records in all) written to {args.out}')
    if args.export:
        export_pruned_model(model, args.export)
        print(f'whole model PICKLED to {args.export} (load with '
              'mmhier.pruning.load_exported_model; executes code)')


if __name__ == '__main__':
    main()
