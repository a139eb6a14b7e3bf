# Copyright (c) mmhier contributors. All rights reserved.
"""Is training limited by the input pipeline or by the model?

Measures, for a config:

- the train dataloader alone (decoding, augmentation, collation with the
  config's ``num_workers``, ``persistent_workers``, ``pin_memory``,
  ``prefetch_factor``) in images/s;
- the model's train step (``model.train_step`` on batches taken from that
  loader, already in memory) in images/s;

and says which one is the bottleneck (throughputs over all timed batches or
steps). Every batch and every step is timed: wall-clock and process CPU time
as min / median / max (the CPU time of the loader is this process's only:
its workers are other processes), and the load verdict before and after the
run says whether other processes competed for the cores. If it is the data
pipeline, raise
``num_workers`` / ``prefetch_factor`` (see
``configs/_base_/schedules/input_pipeline.py``), or move data to faster
storage (Jia et al., arXiv:1807.11205, 2018).

Example::

    python tools/benchmarks/benchmark_dataloader.py CONFIG --batches 50
"""
import argparse

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmhier.registry import MODELS

from timing import LoadCheck, format_row, time_calls


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--batches', type=int, default=50,
                        help='batches to time for the dataloader')
    parser.add_argument('--model-iters', type=int, default=5,
                        help='train steps to time for the model')
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def batch_images(batch) -> int:
    return len(batch['inputs'])


def time_loader(loader, batches):
    """Timings of ``batches`` batches of the loader (the first batch, which
    pays for the worker start-up, is not timed), the images they hold, and
    the first two batches for the model measurement."""
    it = iter(loader)
    kept, images = [], []

    def next_batch():
        batch = next(it)
        if len(kept) < 2:
            kept.append(batch)
        images.append(batch_images(batch))

    timings = time_calls(next_batch, batches, warmup=1)
    return timings, sum(images[1:]), kept


def time_model(cfg, batches, iters, device):
    """Timings of ``iters`` train steps (after one untimed) on ``batches``
    in turn, and the images they hold."""
    model = MODELS.build(cfg.model).to(device)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    step = iter(range(iters + 1))
    images = []

    def train_step():
        batch = batches[next(step) % len(batches)]
        model.train_step(batch, optim_wrapper)
        images.append(batch_images(batch))

    timings = time_calls(train_step, iters, warmup=1, device=device)
    return timings, sum(images[1:])


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmhier'))
    if cfg.model.get('backbone', {}).get('init_cfg') is not None:
        cfg.model.backbone.init_cfg = None  # no downloads for a benchmark
    device = torch.device(args.device)

    loader_cfg = cfg.train_dataloader
    workers = loader_cfg.get('num_workers', 0)
    load = LoadCheck(threads=torch.get_num_threads() + workers)
    print(load.before())
    loader = Runner.build_dataloader(loader_cfg, seed=0)
    t_data, data_images, batches = time_loader(loader, args.batches)
    t_model, model_images = time_model(cfg, batches, args.model_iters,
                                       device)
    data_ips = data_images / sum(t_data.wall)
    model_ips = model_images / sum(t_model.wall)

    print(f'config: {args.config}; device: {device}; batch size '
          f'{loader_cfg.batch_size}; num_workers '
          f'{workers}, persistent_workers '
          f'{loader_cfg.get("persistent_workers", False)}, pin_memory '
          f'{loader_cfg.get("pin_memory", False)}, prefetch_factor '
          f'{loader_cfg.get("prefetch_factor", None)}')
    print('| stage | images/s |\n|---|---|')
    print(f'| data pipeline ({args.batches} batches) | {data_ips:.2f} |')
    print(f'| model train step ({args.model_iters} iters) | {model_ips:.2f} |')
    if data_ips < model_ips:
        print(f'bottleneck: DATA PIPELINE ({model_ips / data_ips:.1f}x '
              'slower than the model): raise num_workers / prefetch_factor.')
    else:
        print(f'bottleneck: MODEL (data pipeline {data_ips / model_ips:.1f}x '
              'faster than needed).')
    print('per batch / step (ms, min/median/max; the loader\'s CPU time is '
          'this process\'s, not its workers\'):')
    print(format_row('data pipeline batch', t_data))
    print(format_row('model train step', t_model))
    print(load.after())


if __name__ == '__main__':
    main()
