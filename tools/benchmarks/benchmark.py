# Copyright (c) mmhier contributors. All rights reserved.
"""Training throughput and inference speed of a segmentation config, with
and without mixed precision.

Runs the config's model on synthetic batches (random images and labels of
``--shape``) so that only the model is measured (use
``benchmark_dataloader.py`` for the input pipeline):

- train: ``model.train_step`` (forward, loss, backward, optimizer step with
  the config's optimizer) in images/s;
- inference: ``model.test_step`` (forward + post-processing at the input
  size) in frames/s (images/s at batch size 1 by default).

Mixed precision is AMP fp16 with dynamic loss scaling (mmengine's
``AmpOptimWrapper``) on a GPU and bf16 autocast on a CPU (``AmpOptimWrapper``
needs a GPU; bf16 autocast is what it would run). On a GPU the absolute
numbers are printed (paper: 17 fps at 520x706 with 108 classes on a Titan X
Pascal); on a CPU only the ratios are meaningful.

Both precisions are built side by side and their steps called alternately
(``--iters`` timed after ``--warmup`` untimed ones), so that both see the
same load; throughputs are from the median step time, and a second table
gives every step's wall-clock and process CPU time as min / median / max
(CPU time close to wall time on a GPU: the step is bound by the host). The
load verdict before and after the run says whether other processes
competed for the cores.

Example::

    python tools/benchmarks/benchmark.py configs/hier/CONFIG.py
    python tools/benchmarks/benchmark.py CONFIG --shape 256 352 \\
        --train-batch 2 --iters 5 --cfg-options model.backbone.depth=18
    python tools/benchmarks/benchmark.py CONFIG --test-batch 16 --channels-last

``--channels-last`` converts the model to the NHWC memory format (convs then
run NHWC kernels, the fast path of tensor cores under AMP).
"""
import argparse
from contextlib import nullcontext

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmhier.registry import MODELS

from timing import LoadCheck, format_row, time_alternately


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs=2, default=[520, 706],
                        metavar=('H', 'W'),
                        help='input size (default: the paper\'s 520 x 706)')
    parser.add_argument('--train-batch', type=int, default=2)
    parser.add_argument('--test-batch', type=int, default=1)
    parser.add_argument('--iters', type=int, default=10,
                        help='timed iterations per measurement')
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--channels-last', action='store_true',
                        help='model in the channels_last memory format')
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def num_classes_of(model) -> int:
    """Classes of the built model's (last) decode head.

    Read from the built head, not the config: heads such as
    ``HierarchicalDecodeHead`` derive ``num_classes`` from their taxonomy and
    the config does not set it.
    """
    head = getattr(model, 'decode_head', None)
    if isinstance(head, torch.nn.ModuleList):
        head = head[-1]
    if not isinstance(getattr(head, 'num_classes', None), int):
        raise KeyError('benchmark.py: the model has no decode_head with an '
                       'integer num_classes; it sets the range of the '
                       'synthetic labels')
    return head.num_classes


def synthetic_batch(batch_size, shape, num_classes, seed=0):
    """Random uint8 images and labels in the format of PackSegInputs."""
    gen = torch.Generator().manual_seed(seed)
    h, w = shape
    inputs, samples = [], []
    for _ in range(batch_size):
        inputs.append(torch.randint(0, 256, (3, h, w), generator=gen,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
            scale_factor=(1., 1.), flip=False,
            # heads with per-dataset switches (HierarchicalLoss) need a name;
            # one outside the taxonomy's switches trains every classifier
            dataset_name='synthetic'))
        sample.gt_sem_seg = PixelData(data=torch.randint(
            0, num_classes, (1, h, w), generator=gen, dtype=torch.int64))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def build_steps(cfg, args, device, amp):
    """The model and its train and test steps in one precision."""
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optim_cfg = cfg.optim_wrapper.copy()
    amp_ctx = nullcontext()
    if amp and device.type == 'cuda':
        optim_cfg.update(type='AmpOptimWrapper', dtype='float16',
                         loss_scale='dynamic')
    else:
        optim_cfg['type'] = 'OptimWrapper'
        if amp:
            amp_ctx = torch.autocast('cpu', dtype=torch.bfloat16)
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    n_cls = num_classes_of(model)
    train_data = synthetic_batch(args.train_batch, args.shape, n_cls)
    test_data = synthetic_batch(args.test_batch, args.shape, n_cls, seed=1)

    def train_step():
        with amp_ctx:
            model.train_step(train_data, optim_wrapper)

    def test_step():
        with torch.no_grad(), amp_ctx if amp else nullcontext():
            if amp and device.type == 'cuda':
                with torch.autocast('cuda', dtype=torch.float16):
                    model.test_step(test_data)
            else:
                model.test_step(test_data)

    return model, train_step, test_step


def measure(cfg, args, device):
    """Timings of the train and of the test step, fp32 then AMP, each
    precision's steps called alternately with the other's."""
    setups = [build_steps(cfg, args, device, amp) for amp in (False, True)]
    for model, _, _ in setups:
        model.train()
    train = time_alternately([train for _, train, _ in setups], args.iters,
                             args.warmup, device)
    for model, _, _ in setups:
        model.eval()
    test = time_alternately([test for _, _, test in setups], args.iters,
                            args.warmup, device)
    return train, test


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmhier'))
    cfg.model.pop('pretrained', None)
    if cfg.model.get('backbone', {}).get('init_cfg') is not None:
        cfg.model.backbone.init_cfg = None  # no downloads for a benchmark
    preprocessor = cfg.model.get('data_preprocessor')
    if preprocessor is not None and preprocessor.get('size') is None \
            and preprocessor.get('size_divisor') is None:
        preprocessor['size'] = tuple(args.shape)  # training pads to a crop
    device = torch.device(args.device)
    amp_name = 'AMP fp16' if device.type == 'cuda' else 'AMP bf16'
    load = LoadCheck(threads=torch.get_num_threads())
    print(load.before())
    train, test = measure(cfg, args, device)
    rows = [(name, args.train_batch / t_train.median(),
             args.test_batch / t_test.median())
            for name, t_train, t_test in zip(('fp32', amp_name), train, test)]

    gpu = torch.cuda.get_device_name(device) if device.type == 'cuda' \
        else f'cpu, {torch.get_num_threads()} threads'
    print(f'config: {args.config}\ndevice: {gpu}; input {args.shape[0]}x'
          f'{args.shape[1]}; train batch {args.train_batch}, test batch '
          f'{args.test_batch}; {args.iters} iterations after {args.warmup} '
          'warm-up, precisions alternately; throughput from the median'
          + ('; channels_last' if args.channels_last else ''))
    print('| precision | train images/s | inference fps | train vs fp32 '
          '| inference vs fp32 |\n|---|---|---|---|---|')
    for name, train_ips, fps in rows:
        print(f'| {name} | {train_ips:.3f} | {fps:.3f} | '
              f'{train_ips / rows[0][1]:.2f}x | {fps / rows[0][2]:.2f}x |')
    print('step times (ms, min/median/max):')
    for (name, _, _), t_train, t_test in zip(rows, train, test):
        print(format_row(f'{name} train step', t_train))
        print(format_row(f'{name} test step', t_test))
    if device.type == 'cpu':
        print('(CPU: absolute numbers are not comparable with GPU ones; '
              'read the ratios.)')
    print(load.after())


if __name__ == '__main__':
    main()
