# Copyright (c) mmhier contributors. All rights reserved.
"""Is training limited by the input pipeline or by the model?

Measures, for a config:

- the train dataloader alone (decoding, augmentation, collation with the
  config's ``num_workers``, ``persistent_workers``, ``pin_memory``,
  ``prefetch_factor``) in images/s;
- the model's train step (``model.train_step`` on batches taken from that
  loader, already in memory) in images/s;

and says which one is the bottleneck. If it is the data pipeline, raise
``num_workers`` / ``prefetch_factor`` (see
``configs/_base_/schedules/input_pipeline.py``), or move data to faster
storage (Jia et al., arXiv:1807.11205, 2018).

Example::

    python tools/benchmarks/benchmark_dataloader.py CONFIG --batches 50
"""
import argparse
import itertools
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmhier.registry import MODELS


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


def loader_images_per_second(loader, batches):
    """Images/s of the loader over ``batches`` batches (the first batch,
    which pays for the worker start-up, is not timed), and the first two
    batches for the model measurement."""
    it = iter(loader)
    kept = [next(it)]
    images, start = 0, time.perf_counter()
    for batch in itertools.islice(it, batches):
        images += batch_images(batch)
        if len(kept) < 2:
            kept.append(batch)
    return images / (time.perf_counter() - start), kept


def model_images_per_second(cfg, batches, iters, device):
    model = MODELS.build(cfg.model).to(device)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.train()
    model.train_step(batches[0], optim_wrapper)  # warm-up
    images, start = 0, time.perf_counter()
    for i in range(iters):
        batch = batches[i % len(batches)]
        model.train_step(batch, optim_wrapper)
        images += batch_images(batch)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return images / (time.perf_counter() - start)


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmhier'))
    if cfg.model.get('backbone', {}).get('init_cfg') is not None:
        cfg.model.backbone.init_cfg = None  # no downloads for a benchmark
    device = torch.device(args.device)

    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    data_ips, batches = loader_images_per_second(loader, args.batches)
    model_ips = model_images_per_second(cfg, batches, args.model_iters,
                                        device)

    loader_cfg = cfg.train_dataloader
    print(f'config: {args.config}; device: {device}; batch size '
          f'{loader_cfg.batch_size}; num_workers '
          f'{loader_cfg.get("num_workers", 0)}, persistent_workers '
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


if __name__ == '__main__':
    main()
