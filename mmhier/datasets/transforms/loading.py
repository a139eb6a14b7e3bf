# Copyright (c) mmhier contributors. All rights reserved.
"""Loading transforms that put labels into the taxonomy's node space."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadAnnotations as MMCV_LoadAnnotations
from mmseg.datasets.transforms import LoadAnnotations

from mmhier.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadHierAnnotations(LoadAnnotations):
    """Load a raw per-pixel label map and convert it to node-space codes.

    mmseg's :class:`~mmseg.datasets.transforms.LoadAnnotations` casts the
    decoded PNG to ``uint8`` before relabelling (ids >= 256 wrap around
    silently) and applies ``label_map`` with one full-image pass per class.
    Here the PNG is decoded unchanged (8/16-bit grey or palette indices), the
    ids are checked and mapped in one vectorised lookup by
    :meth:`LabelTree.map_raw_ids` of the dataset named by
    ``results['dataset_name']``, which raises an error naming the file and
    the ids it does not know.

    Required keys: ``seg_map_path``, ``dataset_name``.
    Added keys: ``gt_seg_map`` (uint8 codes, 255 = ignore), ``seg_fields``.

    Args:
        taxonomy (str | dict | LabelTree): The label tree (built once and
            cached by :meth:`LabelTree.build`).
        imdecode_backend (str): Backend of :func:`mmcv.imfrombytes`.
            Defaults to ``'pillow'`` (keeps palette indices).
        backend_args (dict, optional): File backend arguments.
    """

    def __init__(self,
                 taxonomy,
                 imdecode_backend: str = 'pillow',
                 backend_args: Optional[dict] = None) -> None:
        from mmhier.taxonomy import LabelTree
        super().__init__(
            reduce_zero_label=None,
            backend_args=backend_args,
            imdecode_backend=imdecode_backend)
        self.tree = LabelTree.build(taxonomy)

    def _load_seg_map(self, results: dict) -> None:
        path = results['seg_map_path']
        raw = mmcv.imfrombytes(
            fileio.get(path, backend_args=self.backend_args),
            flag='unchanged',
            backend=self.imdecode_backend)
        if raw is None:
            raise ValueError(f'could not decode label map {path}')
        raw = np.asarray(raw)
        if raw.ndim == 3:  # e.g. an RGB(A) PNG instead of an id map
            raise ValueError(
                f'{path}: expected a single-channel id map, got shape '
                f'{raw.shape}')
        codes = self.tree.map_raw_ids(
            results['dataset_name'], raw, filename=path)
        results['gt_seg_map'] = np.ascontiguousarray(codes, dtype=np.uint8)
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f"imdecode_backend='{self.imdecode_backend}', "
                f'backend_args={self.backend_args})')


@TRANSFORMS.register_module()
class LoadBoxAnnotations(MMCV_LoadAnnotations):
    """Load the boxes and raw class ids of a box-annotated image.

    mmcv's loader with boxes and labels on and the segmentation off: reads
    ``results['instances']`` (``[dict(bbox=[x1, y1, x2, y2], bbox_label=id),
    ...]``, written by :class:`GTSDBDataset`) into ``gt_bboxes``
    (``float32 (N, 4)``, pixel-edge coordinates) and ``gt_bboxes_labels``
    (``int64 (N,)``, raw dataset class ids). An image without instances
    gives empty arrays. Follow it with :class:`BoxToMask`.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        super().__init__(
            with_bbox=True,
            with_label=True,
            with_seg=False,
            with_keypoints=False,
            backend_args=backend_args)
