# Copyright (c) mmhier contributors. All rights reserved.
"""Count the parameters and FLOPs of a segmentor, pruned ones included.

Example::

    python tools/analysis/get_flops.py \
        configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py \
        --shape 128 128
    # the narrower model a pruned checkpoint holds
    python tools/analysis/get_flops.py CONFIG --checkpoint pruned.pth \
        --shape 512 1024

mmseg's ``tools/analysis_tools/get_flops.py`` builds ``cfg.model`` afresh,
so it counts the *unpruned* model of a pruning config. This tool builds the
model through :func:`mmhier.apis.init_model`, which replays the pruning
history saved in the checkpoint before loading the weights; the count is then
the one of the model the checkpoint holds. The counting itself is MMEngine's
:func:`mmengine.analysis.get_model_complexity_info` on one random image run
through the model's data preprocessor and its ``tensor`` forward (the decode
head's logits; an auxiliary head, used in training only, is left out as in
mmseg's tool). FLOPs are fvcore-style: one fused multiply-add counts as one.
"""
import argparse
from typing import Optional, Sequence

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.analysis.print_helper import _format_size
from mmengine.config import DictAction
from mmseg.structures import SegDataSample

from mmhier.apis import init_model


def parse_args(argv: Optional[Sequence[str]] = None):
    parser = argparse.ArgumentParser(
        description='Count the parameters and FLOPs of a segmentor')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--checkpoint',
        help='checkpoint (a pruned one gives the pruned model)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[512, 1024],
        help='input size: H W, or one number for a square input')
    parser.add_argument(
        '--show-table',
        action='store_true',
        help='also print the per-module table')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the config, key=value')
    return parser.parse_args(argv)


def input_shape(shape: Sequence[int]) -> tuple:
    """``[H, W]`` or ``[S]`` -> ``(3, H, W)``."""
    if len(shape) == 1:
        return (3, shape[0], shape[0])
    if len(shape) == 2:
        return (3, ) + tuple(shape)
    raise ValueError(f'--shape takes H W or one size, got {list(shape)}')


def model_complexity(config,
                     checkpoint: Optional[str] = None,
                     shape: Sequence[int] = (512, 1024),
                     cfg_options: Optional[dict] = None,
                     show_table: bool = False) -> dict:
    """Parameters and FLOPs of the model of ``config`` (+ ``checkpoint``).

    Returns:
        dict: ``params`` and ``flops`` (ints, of the model without its
        auxiliary head), ``input_shape`` (after the data preprocessor's
        padding) and ``table`` (str, empty unless ``show_table``).
    """
    model = init_model(config, checkpoint, device='cpu',
                       cfg_options=cfg_options)
    if getattr(model, 'auxiliary_head', None) is not None:
        model.auxiliary_head = None  # training only, as in mmseg's tool
    shape = input_shape(shape)
    meta = dict(ori_shape=shape[1:], img_shape=shape[1:],
                pad_shape=shape[1:])
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, shape, dtype=torch.uint8)],
             data_samples=[SegDataSample(metainfo=meta)]), False)
    inputs = data['inputs']
    with torch.no_grad():
        # ``inputs`` only: MMEngine >= 0.10 refuses ``input_shape`` with it
        # (which breaks mmseg 1.2.2's own get_flops.py)
        outputs = get_model_complexity_info(
            model,
            inputs=inputs,
            show_table=show_table,
            show_arch=False)
    return dict(
        params=int(outputs['params']),
        flops=int(outputs['flops']),
        input_shape=tuple(inputs.shape[1:]),
        table=outputs.get('out_table', '') if show_table else '')


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    result = model_complexity(args.config, args.checkpoint, args.shape,
                              args.cfg_options, args.show_table)
    if result['table']:
        print(result['table'])
    line = '=' * 30
    print(f'{line}\n'
          f'Input shape: {result["input_shape"]}\n'
          f'Flops: {_format_size(result["flops"])} ({result["flops"]})\n'
          f'Params: {_format_size(result["params"])} '
          f'({result["params"]})\n{line}')
    return result


if __name__ == '__main__':
    main()
