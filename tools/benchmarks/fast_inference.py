# Copyright (c) mmhier contributors. All rights reserved.
"""End-to-end images/s of the fast PyTorch path
(:class:`mmhier.deploy.FastInference`), pre- and post-processing included.

Each timed call takes a list of ``B`` BGR ``uint8`` arrays of ``--shape``
(random, fixed; with ``--from-files`` the same images as JPEG files, so
that the call decodes them too) and returns their ``SegDataSample`` s with
labels and per-level decisions at the original size, copied to the host:
the config's test resize on the host, the transfer, normalisation, network
and decision on the device, then the crop / resize back. One row per batch
size (``--batch-sizes``, default 1 and 16): images/s from the median call,
and the call's wall-clock and process CPU time as min / median / max (see
``timing.py``; CPU time close to wall time on a GPU: host-bound). A second
row per batch size times the host loading alone (decode and test resize of
the batch, in ``--num-workers`` threads): the most images/s the host can
prepare (``--loading-only``: only that row, with and without threads).
Without a checkpoint the model has random weights (the speed does
not depend on them).

Example::

    python tools/benchmarks/fast_inference.py \\
        configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py --shape 520 706 \\
        --device cuda --amp fp16 --channels-last --cuda-graph
"""
import argparse
import os.path as osp
import tempfile

import mmcv
import numpy as np
import torch
from mmengine.config import DictAction

from timing import (LoadCheck, format_row, ratio_of_medians, time_alternately,
                    time_calls)


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
    parser.add_argument('--num-workers', type=int,
                        help='host loading threads (FastInference default: '
                        'one per image of a batch, at most the cores)')
    parser.add_argument('--loading-only', action='store_true',
                        help='time only the host loading, in --num-workers '
                        'threads and in the calling thread')
    parser.add_argument('--from-files', action='store_true',
                        help='pass JPEG files (decoded in the call) instead '
                        'of arrays')
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
    rows, loading_rows = [], []
    tmp = tempfile.TemporaryDirectory()
    for batch in args.batch_sizes:
        fast = FastInference(
            model, device, batch_size=batch, output_device='cpu',
            num_workers=args.num_workers, **options)
        imgs = [
            rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            for _ in range(batch)
        ]
        if args.from_files:
            for i, img in enumerate(imgs):
                imgs[i] = osp.join(tmp.name, f'{batch}_{i}.jpg')
                mmcv.imwrite(img, imgs[i])
        if args.loading_only:
            serial = FastInference(model, device, batch_size=batch,
                                   num_workers=0, **options)
            loading, single = time_alternately([
                lambda: [f.result() for f in fast._submit_loads(imgs)],
                lambda: [f.result() for f in serial._submit_loads(imgs)]
            ], args.iters, args.warmup)
            loading_rows.append((batch, loading, single, fast.num_workers))
            fast.close()
            continue
        timings = time_calls(lambda: fast(imgs), args.iters, args.warmup,
                             device)
        assert timings.output[0].pred_sem_seg.shape == (h, w)
        loading = time_calls(
            lambda: [f.result() for f in fast._submit_loads(imgs)],
            args.iters, args.warmup)
        rows.append((batch, timings, loading, fast.num_workers))
        fast.close()
    tmp.cleanup()
    for batch, loading, single, workers in loading_rows:
        print(format_row(f'batch {batch} host loading ({workers} threads)',
                         loading))
        print(format_row(f'batch {batch} host loading (calling thread)',
                         single))
        print(f'batch {batch}: host loading {workers} threads / calling '
              f'thread: {ratio_of_medians(single, loading):.2f}x')
    for batch, timings, loading, workers in rows:
        print(format_row(f'batch {batch} call', timings))
        print(format_row(f'batch {batch} host loading ({workers} threads)',
                         loading))
    source = 'JPEG files' if args.from_files else 'arrays'
    for batch, timings, loading, _ in rows:
        print(f'batch {batch}: {batch / timings.median():.1f} images/s '
              f'end-to-end from {source} (pre- and post-processing '
              f'included); host loading alone '
              f'{batch / loading.median():.1f} images/s')
    if device.type == 'cpu':
        print('(CPU: not comparable with GPU numbers.)')
    print(load.after())


if __name__ == '__main__':
    main()
