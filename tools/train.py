# Copyright (c) mmhier contributors. All rights reserved.
"""Train a model from a config: ``python tools/train.py CONFIG [options]``.

A thin wrapper around ``Runner.from_cfg`` in the style of mmseg's
``tools/train.py``. Distributed: ``bash tools/dist_train.sh CONFIG GPUS``.
"""
import argparse
import logging

from mmengine.config import Config
from mmengine.logging import print_log
from runner_cli import (add_runner_arguments, build_runner, merge_runner_args,
                        parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model (mmhier)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or (without a value) from '
        'the latest checkpoint in the work_dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    add_runner_arguments(parser)
    return parse_runner_args(parser)


def merge_args(cfg: Config, args) -> Config:
    """Merge command line arguments into the config."""
    cfg = merge_runner_args(cfg, args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper == 'AmpOptimWrapper':
            print_log(
                'AMP training is already enabled in your config.',
                logger='current',
                level=logging.WARNING)
        else:
            assert optim_wrapper == 'OptimWrapper', (
                '`--amp` is only supported when the optimizer wrapper type is '
                f'`OptimWrapper` but got {optim_wrapper}.')
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)

    runner = build_runner(
        cfg, ['train_dataloader'] +
        (['val_dataloader'] if cfg.get('val_cfg') else []))
    runner.train()
    from mmhier.utils import teardown_distributed
    teardown_distributed()


if __name__ == '__main__':
    main()
