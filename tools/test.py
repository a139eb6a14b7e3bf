# Copyright (c) mmhier contributors. All rights reserved.
"""Test (and evaluate) a checkpoint: ``python tools/test.py CONFIG CKPT``.

A thin wrapper around ``Runner.from_cfg`` in the style of mmseg's
``tools/test.py``. The runner builds the config's model; the checkpoint goes
through :func:`mmhier.apis.load_checkpoint`, the weight loading of
:func:`mmhier.apis.init_model` (``weights_only=True``, pruning history
replayed, strict). ``--tta`` tests the ``tta_config`` of the config: every
test dataset (each source of a multi-dataset set) gets the TTA pipeline
(``test_pipeline`` at every ``tta_ratios`` scale, plain and flipped) with its
own annotation loaders, the model is wrapped into ``tta_model``.
"""
import argparse
import os.path as osp

from mmengine.config import Config
from runner_cli import (add_runner_arguments, build_runner, merge_runner_args,
                        parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a model (mmhier)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out', type=str, help='dump the evaluation results to this pickle')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved (relative to '
        'work_dir/timestamp)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--show-interval',
        type=int,
        default=1,
        help='draw every N-th test image (mmseg\'s hook default is 50)')
    parser.add_argument(
        '--tta', action='store_true', help='test time augmentation')
    add_runner_arguments(parser)
    return parse_runner_args(parser)


def trigger_visualization_hook(cfg: Config, args) -> Config:
    """Turn on drawing in the ``visualization`` default hook."""
    default_hooks = cfg.get('default_hooks', {})
    if 'visualization' not in default_hooks:
        raise RuntimeError(
            'VisualizationHook must be included in default_hooks, e.g. '
            "visualization=dict(type='SegVisualizationHook')")
    hook = default_hooks['visualization']
    hook['draw'] = True
    hook['interval'] = args.show_interval
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir
    return cfg


def main():
    args = parse_args()
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')

    cfg = merge_runner_args(Config.fromfile(args.config), args)
    # the weights are loaded below, by mmhier's loader, not by the runner
    cfg.load_from = None

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        from mmhier.apis import tta_config
        cfg = tta_config(cfg)
    if args.out is not None:
        cfg.test_evaluator = [cfg.test_evaluator] if isinstance(
            cfg.test_evaluator, dict) else list(cfg.test_evaluator)
        cfg.test_evaluator.append(
            dict(type='DumpResults', out_file_path=args.out))

    runner = build_runner(cfg, ['test_dataloader'])
    from mmhier.apis import load_checkpoint
    load_checkpoint(runner.model, args.checkpoint)
    runner.test()
    from mmhier.utils import teardown_distributed
    teardown_distributed()


if __name__ == '__main__':
    main()
