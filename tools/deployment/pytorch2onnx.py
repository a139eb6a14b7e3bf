# Copyright (c) mmhier contributors. All rights reserved.
"""Export a (hierarchical, flat or pruned) segmentor to one ONNX graph::

    python tools/deployment/pytorch2onnx.py CONFIG CHECKPOINT \\
        --out model.onnx [--shape H W] [--dynamic-shape] \\
        [--decision greedy|soft] [--outputs labels,levels,logprobs] \\
        [--opset 17]

The graph holds the backbone, the decode head and the decision rule (the
greedy top-down rule of Meletis & Dubbelman, IEEE IV 2018, runs in the
graph); its input is the normalised image batch (see
``mmhier.deploy.export_onnx``). Pruned checkpoints load through
``mmhier.apis.init_model``, which replays their pruning history. The file
passes ``onnx.checker``; run it with ``tools/infer.py --backend ort`` or
``mmhier.deploy.ORTSegmentor``.
"""
import argparse

from mmengine.config import DictAction


def parse_args():
    parser = argparse.ArgumentParser(
        description='Export a segmentor and its decision rule to ONNX')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        'checkpoint', help='checkpoint file (pruned ones included)')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input size of the graph (default: the data pre-processor '
        'size); with --dynamic-shape only the example size')
    parser.add_argument(
        '--dynamic-shape',
        action='store_true',
        help='dynamic height and width (the batch is always dynamic)')
    parser.add_argument(
        '--decision',
        choices=['greedy', 'soft'],
        help="decision rule of a hierarchical head (default: the head's)")
    parser.add_argument(
        '--outputs',
        default='labels,levels,logprobs',
        help='comma-separated graph outputs among labels, levels, logprobs')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    # imported late so that --help works fast
    from mmhier.apis import init_model
    from mmhier.deploy import export_onnx

    outputs = [o.strip() for o in args.outputs.split(',') if o.strip()]
    model = init_model(args.config, args.checkpoint, 'cpu', args.cfg_options)
    meta = export_onnx(
        model,
        args.out,
        shape=args.shape,
        dynamic_shape=args.dynamic_shape,
        decision=args.decision,
        outputs=outputs,
        opset_version=args.opset)
    shape = 'dynamic' if meta['input_shape'] is None else 'x'.join(
        map(str, meta['input_shape']))
    print(f'wrote {args.out}: outputs {",".join(meta["outputs"])}, '
          f'decision {meta["decision"]}, input Bx3x{shape}, '
          'onnx.checker passed')


if __name__ == '__main__':
    main()
