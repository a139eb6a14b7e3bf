# Copyright (c) mmhier contributors. All rights reserved.
"""Export a segmentor (backbone, head and decision rule) to one ONNX graph.

The graph takes the normalised image batch (``inputs``, ``[B, 3, H, W]``
float32, the output of the model's ``data_preprocessor``) and returns the
outputs of :class:`~mmhier.deploy.wrapper.SegmentorExportWrapper`. The batch
axis is always dynamic; ``dynamic_shape=True`` makes height and width dynamic
too. A JSON record (:data:`METADATA_KEY` in the model's ``metadata_props``)
holds what the runtime needs to pre- and post-process like the PyTorch path:
the output names, the decision rule, ``align_corners``, the number of tree
levels and the model's config (with its test pipeline).

Pruned checkpoints need nothing special: :func:`mmhier.apis.init_model`
replays their pruning history before loading the weights, so the exported
graph has the pruned widths.
"""
import json
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn

from .wrapper import OUTPUT_NAMES, SegmentorExportWrapper

#: key of the JSON record in the ONNX model's ``metadata_props``
METADATA_KEY = 'mmhier_deploy'
#: name of the graph input
INPUT_NAME = 'inputs'
DEFAULT_OPSET = 17


def default_input_shape(model: nn.Module) -> Tuple[int, int]:
    """``(H, W)`` of the example input: the data pre-processor's ``size``
    when it has one (the crop size), else 512x1024."""
    size = getattr(getattr(model, 'data_preprocessor', None), 'size', None)
    if size:
        return int(size[0]), int(size[1])
    return 512, 1024


def _dynamic_axes(outputs: Sequence[str], dynamic_shape: bool) -> dict:
    hw = {2: 'height', 3: 'width'} if dynamic_shape else {}
    axes = {INPUT_NAME: {0: 'batch', **hw}}
    for name in outputs:
        if name == 'labels':
            axes[name] = {0: 'batch', **({1: 'height', 2: 'width'}
                                         if dynamic_shape else {})}
        else:
            axes[name] = {0: 'batch', **hw}
    return axes


def export_onnx(model: nn.Module,
                out_file: str,
                shape: Optional[Sequence[int]] = None,
                batch_size: int = 1,
                dynamic_shape: bool = False,
                decision: Optional[str] = None,
                outputs: Sequence[str] = OUTPUT_NAMES,
                opset_version: int = DEFAULT_OPSET,
                check: bool = True) -> dict:
    """Export ``model`` to ``out_file`` and check the result.

    Args:
        model (nn.Module): From :func:`mmhier.apis.init_model` (it carries
            ``cfg``), in eval mode, on the CPU.
        out_file (str): The ``.onnx`` file to write.
        shape (Sequence[int], optional): ``(H, W)`` of the example input, the
            only input size of a static graph. Defaults to
            :func:`default_input_shape`.
        batch_size (int): Batch of the example input (the batch axis is
            dynamic either way). Defaults to 1.
        dynamic_shape (bool): Make height and width dynamic.
        decision (str, optional): ``'greedy'`` / ``'soft'``; None takes the
            head's own.
        outputs (Sequence[str]): Outputs of the graph, see
            :class:`SegmentorExportWrapper`.
        opset_version (int): ONNX opset. Defaults to 17.
        check (bool): Run ``onnx.checker.check_model`` on the file (with the
            full check, shape inference included).

    Returns:
        dict: The metadata record written into the file.
    """
    import onnx

    wrapper = SegmentorExportWrapper(model, decision, outputs).eval()
    if shape is None:
        shape = default_input_shape(wrapper.segmentor)
    param = next(wrapper.parameters())
    example = torch.randn(
        batch_size, 3, *[int(s) for s in shape],
        generator=torch.Generator().manual_seed(0)).to(param)
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (example, ),
            out_file,
            dynamo=False,  # TorchScript exporter: no onnxscript needed
            input_names=[INPUT_NAME],
            output_names=list(wrapper.outputs),
            dynamic_axes=_dynamic_axes(wrapper.outputs, dynamic_shape),
            opset_version=opset_version,
            do_constant_folding=True)
    cfg = getattr(wrapper.segmentor, 'cfg', None)
    meta = dict(
        outputs=list(wrapper.outputs),
        decision=wrapper.decision,
        hierarchical=wrapper.hierarchical,
        num_levels=wrapper.num_levels,
        align_corners=wrapper.align_corners,
        input_shape=None if dynamic_shape else [int(s) for s in shape],
        dataset_meta=_plain_dataset_meta(wrapper.segmentor),
        config=cfg.pretty_text if cfg is not None else None)
    proto = onnx.load(out_file)
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, json.dumps(meta)
    onnx.save(proto, out_file)
    if check:
        onnx.checker.check_model(out_file, full_check=True)
    return meta


def _plain_dataset_meta(model) -> Optional[dict]:
    meta = getattr(model, 'dataset_meta', None)
    if not meta:
        return None
    palette = meta.get('palette')
    return dict(
        classes=list(meta.get('classes', ())),
        palette=[list(map(int, p)) for p in palette] if palette else None)


def read_metadata(onnx_file: str) -> dict:
    """The record :func:`export_onnx` wrote into ``onnx_file``."""
    import onnx
    proto = onnx.load(onnx_file, load_external_data=False)
    for entry in proto.metadata_props:
        if entry.key == METADATA_KEY:
            return json.loads(entry.value)
    raise KeyError(f'{onnx_file} has no {METADATA_KEY!r} metadata: export '
                   'it with mmhier.deploy.export_onnx '
                   '(tools/deployment/pytorch2onnx.py)')
