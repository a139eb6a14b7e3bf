# Copyright (c) mmhier contributors. All rights reserved.
"""Generate the synthetic Cityscapes / Vistas / GTSDB / re-ID data sets.

Example::

    python tools/dataset_converters/generate_synthetic.py \
        --out-dir data/synthetic --seed 0

A second run with the same arguments finds the ``.complete`` marker and
returns at once; ``--overwrite`` regenerates. See docs/synthetic_data.md.
"""
import argparse
import json

from mmhier.datasets.synthetic import DATASETS, generate


def parse_args():
    parser = argparse.ArgumentParser(
        description='Write deterministic synthetic street-scene and re-ID '
        'datasets in the real on-disk formats.')
    parser.add_argument('--out-dir',
                        default='data/synthetic',
                        help='output root')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train',
                        type=int,
                        default=40,
                        help='train images per segmentation dataset '
                        '(GTSDB: 3x as many)')
    parser.add_argument('--num-val',
                        type=int,
                        default=10,
                        help='val (GTSDB: test) images per dataset')
    parser.add_argument('--num-reid-train-ids', type=int, default=60)
    parser.add_argument('--num-reid-test-ids', type=int, default=40)
    parser.add_argument('--scale',
                        type=float,
                        default=1.0,
                        help='multiplies all image / identity counts')
    parser.add_argument('--datasets',
                        nargs='+',
                        default=list(DATASETS),
                        choices=DATASETS,
                        help='subset to generate')
    parser.add_argument('--nproc',
                        type=int,
                        default=1,
                        help='worker processes (output does not depend on it)')
    parser.add_argument(
        '--domain-shift',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='other statistics for every street domain (a held-out set): '
        'sign_scale (sign face size factor), horizon_shift (fraction of '
        'the height), camera_height_scale, focal_scale; e.g. '
        '--domain-shift sign_scale=0.8 horizon_shift=0.04')
    parser.add_argument('--overwrite',
                        action='store_true',
                        help='regenerate into a non-empty output directory')
    return parser.parse_args()


def parse_shift(items):
    shift = {}
    for item in items:
        key, sep, value = item.partition('=')
        if not sep:
            raise SystemExit(f'--domain-shift: expected KEY=VALUE, got '
                             f'{item!r}')
        try:
            shift[key] = float(value)
        except ValueError:
            raise SystemExit(f'--domain-shift {key}: {value!r} is not a '
                             'number')
    return shift


def main():
    args = parse_args()
    result = generate(args.out_dir,
                      seed=args.seed,
                      num_train=args.num_train,
                      num_val=args.num_val,
                      num_reid_train_ids=args.num_reid_train_ids,
                      num_reid_test_ids=args.num_reid_test_ids,
                      scale=args.scale,
                      datasets=args.datasets,
                      overwrite=args.overwrite,
                      nproc=args.nproc,
                      progress=True,
                      domain_shift=parse_shift(args.domain_shift))
    state = 'already complete, skipped' if result['skipped'] else 'written'
    print(f'\n{args.out_dir}: {state} in {result["seconds"]:.1f} s')
    print(json.dumps(result['datasets'], indent=2, sort_keys=True))


if __name__ == '__main__':
    main()
