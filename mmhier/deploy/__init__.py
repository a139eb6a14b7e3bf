# Copyright (c) mmhier contributors. All rights reserved.
"""Deployment: ONNX export of a segmentor with its decision rule in the
graph (:func:`export_onnx`, :class:`SegmentorExportWrapper`) and
onnxruntime inference with the PyTorch path's pre- and post-processing
(:class:`ORTSegmentor`). ``onnx`` and ``onnxruntime`` are optional
dependencies (``pip install -e .[deploy]``), imported on use."""
from .export import (INPUT_NAME, METADATA_KEY, default_input_shape,  # noqa
                     export_onnx, read_metadata)
from .ort_backend import ORTSegmentor
from .wrapper import DECISIONS, OUTPUT_NAMES, SegmentorExportWrapper

__all__ = [
    'INPUT_NAME', 'METADATA_KEY', 'default_input_shape', 'export_onnx',
    'read_metadata', 'ORTSegmentor', 'DECISIONS', 'OUTPUT_NAMES',
    'SegmentorExportWrapper'
]
