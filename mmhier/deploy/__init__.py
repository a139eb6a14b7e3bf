# Copyright (c) mmhier contributors. All rights reserved.
"""Deployment: ONNX export of a segmentor with its decision rule in the
graph (:func:`export_onnx`, :class:`SegmentorExportWrapper`),
onnxruntime inference with the PyTorch path's pre- and post-processing
(:class:`ORTSegmentor`) and the batched fast PyTorch path
(:class:`FastInference`: AMP, channels_last, torch.compile, CUDA
graphs). ``onnx`` and ``onnxruntime`` are optional dependencies (``pip
install -e .[deploy]``), imported on use."""
from .export import (INPUT_NAME, METADATA_KEY, default_input_shape,  # noqa
                     export_onnx, read_metadata)
from .fast_inference import AMP_DTYPES, FastInference
from .ort_backend import ORTSegmentor
from .wrapper import DECISIONS, OUTPUT_NAMES, SegmentorExportWrapper

__all__ = [
    'INPUT_NAME', 'METADATA_KEY', 'default_input_shape', 'export_onnx',
    'read_metadata', 'AMP_DTYPES', 'FastInference', 'ORTSegmentor',
    'DECISIONS', 'OUTPUT_NAMES', 'SegmentorExportWrapper'
]
