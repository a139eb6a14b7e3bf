# Copyright (c) mmhier contributors. All rights reserved.
"""End-to-end images/s of the fast PyTorch path
(:class:`mmhier.deploy.FastInference`), pre- and post-processing included.

Each timed call takes a list of ``B`` BGR ``uint8`` arrays of ``--shape``
(random, fixed) and returns their ``SegDataSample`` s with labels and
per-level decisions at the original size, copied to the host: the config's
test resize on the host, the transfer, normalisation, network and decision
on the device, then the crop / resize back. One row per batch size
(``--batch-sizes``, default 1 and 16): images/s from the median call, and
the call's wall-clock and process CPU time as min / median / max (see
``timing.py``; CPU time close to wall time on a GPU: host-bound). Without a
checkpoint the model has random weights (the speed does not depend on
them).

Example::

    python tools/benchmarks/fast_inference.py \\
        configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py --shape 520 706 \\
        --device cuda --amp fp16 --channels-last --cuda-graph
"""
import argparse

import numpy as np
import torch
from mmengine.config import DictAction

from timing import LoadCheck, format_row, time_calls


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--checkpoint', help='checkpoint (default: random)')
    parser.add_argument('--shape', type=int, nargs=2, default=[520, 706],
                        metavar=('H', 'W'),
                        help="image size (default: the paper's 520 x 706)")
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[1, 16])
    parser.add_argument('--iters', type=int, default=20,
                        help='timed calls per batch size')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--amp', choices=['fp16', 'bf16'])
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--compile', nargs='?', const='default',
                        help='torch.compile mode (default: default)')
    parser.add_argument('--cuda-graph', action='store_true')
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    from mmhier.apis import init_model
    from mmhier.deploy import FastInference
    if args.device.startswith('cuda'):
        torch.backends.cudnn.benchmark = True
    model = init_model(args.config, args.checkpoint, args.device,
                       args.cfg_options)
    rng = np.random.default_rng(0)
    h, w = args.shape
    load = LoadCheck(threads=torch.get_num_threads())
    print(load.before())
    options = dict(
        amp=args.amp,
        channels_last=args.channels_last,
        compile=args.compile or False,
        cuda_graph=args.cuda_graph)
    setting = ', '.join(f'{k}={v}' for k, v in options.items())
    device = torch.device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' \
        else f'cpu, {torch.get_num_threads()} threads'
    print(f'config: {args.config}\ndevice: {name}; images {h}x{w}; '
          f'{setting}; {args.iters} calls after {args.warmup} warm-up')
    rows = []
    for batch in args.batch_sizes:
        fast = FastInference(
            model, device, batch_size=batch, output_device='cpu',
            **options)
        imgs = [
            rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            for _ in range(batch)
        ]
        timings = time_calls(lambda: fast(imgs), args.iters, args.warmup,
                             device)
        assert timings.output[0].pred_sem_seg.shape == (h, w)
        rows.append((batch, timings))
    for batch, timings in rows:
        print(format_row(f'batch {batch} call', timings))
    for batch, timings in rows:
        print(f'batch {batch}: {batch / timings.median():.1f} images/s '
              'end-to-end (pre- and post-processing included)')
    if device.type == 'cpu':
        print('(CPU: not comparable with GPU numbers.)')
    print(load.after())


if __name__ == '__main__':
    main()
