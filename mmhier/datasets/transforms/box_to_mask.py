# Copyright (c) mmhier contributors. All rights reserved.
"""Turn bounding boxes into a node-space label map (weak or per-pixel).

GTSDB has boxes only. The hierarchical model learns from them through *weak*
codes (see :mod:`mmhier.taxonomy.encoding`): every pixel of a box gets the
weak code of the box's class node and the hierarchical loss keeps only the
pixels its parent classifier agrees with (Meletis & Dubbelman, IV 2018,
Sec. III-D). The flat baseline of the paper instead fills the sign's outline
inside the box and trains on it as an ordinary per-pixel label; ``mode=
'shape'`` with ``label_type='pixel'`` produces that.

Pixels outside every box are ``ignore_index`` (255): a GTSDB image says
nothing about its background.
"""
import warnings
from typing import Dict, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmhier.registry import TRANSFORMS
from mmhier.taxonomy.encoding import IGNORE_INDEX

#: Octagon with flat sides on the box: corners cut at 1 / (2 + sqrt(2)) of
#: the side, i.e. ``|u| + |v| <= 1 - cut`` in box units centred at 0.
_OCTAGON_LIMIT = 1.0 - 1.0 / (2.0 + np.sqrt(2.0))


def shape_mask(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside test of a sign outline inscribed in a box.

    Args:
        shape (str): ``'box'``, ``'circle'`` (ellipse touching the four
            sides), ``'triangle_up'`` (apex at the top centre, base along the
            bottom), ``'triangle_down'``, ``'octagon'`` (regular, flat sides
            on the box) or ``'diamond'`` (corners at the side midpoints).
        u (np.ndarray): Horizontal pixel-centre positions in box units,
            ``-0.5`` (left edge) to ``0.5`` (right edge).
        v (np.ndarray): Vertical positions, ``-0.5`` (top) to ``0.5``
            (bottom), broadcastable against ``u``.

    Returns:
        np.ndarray: Boolean mask, broadcast shape of ``u`` and ``v``.
    """
    au, av = np.abs(u), np.abs(v)
    if shape == 'box':
        return (au <= 0.5) & (av <= 0.5)
    if shape == 'circle':
        return u * u + v * v <= 0.25
    if shape == 'triangle_up':  # half width grows from 0 (top) to 0.5
        return (au <= (v + 0.5) / 2) & (av <= 0.5)
    if shape == 'triangle_down':
        return (au <= (0.5 - v) / 2) & (av <= 0.5)
    if shape == 'octagon':
        return (au <= 0.5) & (av <= 0.5) & (au + av <= _OCTAGON_LIMIT)
    if shape == 'diamond':
        return au + av <= 0.5
    raise ValueError(f'unknown sign shape {shape!r}; expected box, circle, '
                     'triangle_up, triangle_down, octagon or diamond')


def clip_boxes(boxes: np.ndarray, height: int,
               width: int) -> np.ndarray:
    """Clip ``(N, 4)`` ``x1, y1, x2, y2`` boxes (pixel-edge coordinates) to
    an image of ``height`` x ``width``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4).copy()
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
    return boxes


def boxes_to_mask(height: int,
                  width: int,
                  boxes: np.ndarray,
                  codes: Sequence[int],
                  shapes: Optional[Sequence[str]] = None,
                  ignore_index: int = IGNORE_INDEX):
    """Rasterise boxes (or the sign outline inside each box) into a label map.

    Coordinates are pixel edges: pixel ``(row, col)`` covers
    ``[col, col + 1) x [row, row + 1)`` and belongs to a box when its centre
    ``(col + 0.5, row + 0.5)`` lies inside the box (and inside the shape,
    whose geometry uses the *unclipped* box, so a sign cut by the image
    border keeps its outline). Boxes are painted from the largest area to the
    smallest, so a smaller box always ends on top whatever the order of the
    annotation file; boxes of equal area are painted in file order (the later
    one ends on top).

    Args:
        height (int): Image height.
        width (int): Image width.
        boxes (np.ndarray): ``(N, 4)`` boxes ``x1, y1, x2, y2``.
        codes (Sequence[int]): Label code written for each box.
        shapes (Sequence[str], optional): Outline of each box (see
            :func:`shape_mask`); None fills the rectangles.
        ignore_index (int): Value of pixels outside every box.

    Returns:
        tuple[np.ndarray, int]: The ``uint8`` map and the number of
        degenerate boxes (no pixel centre inside once clipped) left out.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    codes = np.asarray(codes, dtype=np.int64).reshape(-1)
    if len(codes) != len(boxes):
        raise ValueError(f'{len(boxes)} boxes but {len(codes)} codes')
    if shapes is not None and len(shapes) != len(boxes):
        raise ValueError(f'{len(boxes)} boxes but {len(shapes)} shapes')
    mask = np.full((height, width), ignore_index, dtype=np.uint8)
    clipped = clip_boxes(boxes, height, width)
    # first/last pixel index whose centre lies in [x1, x2)
    col0 = np.ceil(clipped[:, 0] - 0.5).astype(np.int64)
    col1 = np.ceil(clipped[:, 2] - 0.5).astype(np.int64)
    row0 = np.ceil(clipped[:, 1] - 0.5).astype(np.int64)
    row1 = np.ceil(clipped[:, 3] - 0.5).astype(np.int64)
    valid = (col1 > col0) & (row1 > row0)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    # descending area; equal areas keep file order
    order = np.lexsort((np.arange(len(boxes)), -area))
    for i in order:  # a handful of boxes per image; the pixels are vectorised
        if not valid[i]:
            continue
        rows = np.arange(row0[i], row1[i])
        cols = np.arange(col0[i], col1[i])
        if shapes is None:
            inside = np.ones((len(rows), len(cols)), dtype=bool)
        else:
            x1, y1, x2, y2 = boxes[i]
            u = (cols + 0.5 - x1) / (x2 - x1) - 0.5
            v = (rows + 0.5 - y1) / (y2 - y1) - 0.5
            inside = shape_mask(shapes[i], u[None, :], v[:, None])
        window = mask[row0[i]:row1[i], col0[i]:col1[i]]
        window[inside] = codes[i]
    return mask, int((~valid).sum())


@TRANSFORMS.register_module()
class BoxToMask(BaseTransform):
    """Rasterise ``gt_bboxes`` into ``gt_seg_map`` in the taxonomy's codes.

    The boxes are in the coordinates of the original image and the map is
    drawn at ``ori_shape`` (the size :class:`LoadImageFromFile` saw). Two
    placements are valid:

    * training: ``LoadImageFromFile -> LoadBoxAnnotations -> BoxToMask``
      before any geometric transform; the stock mmseg ``RandomResize`` /
      ``RandomCrop`` / ``RandomFlip`` then move the one label map, and the
      boxes are dropped (``keep_boxes=False``) so nothing can drift out of
      sync with it;
    * testing: after ``Resize``, as mmseg places ``LoadAnnotations``, so that
      the ground truth keeps the original resolution the predictions are
      resized back to.

    Required keys: ``ori_shape`` (or ``img_shape``), ``gt_bboxes``
    (``(N, 4)`` ``x1, y1, x2, y2``, pixel edges), ``gt_bboxes_labels`` (raw
    class ids), ``dataset_name``, ``img_path``. Added keys: ``gt_seg_map``
    (uint8),
    ``seg_fields`` += ``'gt_seg_map'``. Removed keys (unless ``keep_boxes``):
    ``gt_bboxes``, ``gt_bboxes_labels``.

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        mode (str): ``'box'`` fills the rectangle, ``'shape'`` fills the
            class's sign outline inside it. Defaults to ``'box'``.
        label_type (str): ``'weak'`` writes the weak code of the class node
            (hierarchical training), ``'pixel'`` its per-pixel code (the flat
            baseline trains on outlines as if they were per-pixel labels).
            Defaults to ``'weak'``.
        class_shapes (Sequence[str], optional): Outline per raw class id for
            ``mode='shape'``. Defaults to GTSDB's
            (:data:`mmhier.datasets.gtsdb_meta.GTSDB_SHAPES`).
        keep_boxes (bool): Keep ``gt_bboxes`` in the results. Only safe when
            every later geometric transform also moves boxes. Defaults to
            False.
    """

    def __init__(self,
                 taxonomy,
                 mode: str = 'box',
                 label_type: str = 'weak',
                 class_shapes: Optional[Sequence[str]] = None,
                 keep_boxes: bool = False) -> None:
        from mmhier.taxonomy import LabelTree
        if mode not in ('box', 'shape'):
            raise ValueError(f"mode must be 'box' or 'shape', got {mode!r}")
        if label_type not in ('weak', 'pixel'):
            raise ValueError(
                f"label_type must be 'weak' or 'pixel', got {label_type!r}")
        self.tree = LabelTree.build(taxonomy)
        self.mode = mode
        self.label_type = label_type
        if class_shapes is None and mode == 'shape':
            from mmhier.datasets.gtsdb_meta import GTSDB_SHAPES
            class_shapes = GTSDB_SHAPES
        if class_shapes is not None:
            for shape in set(class_shapes):
                shape_mask(shape, np.zeros(1), np.zeros(1))  # validates name
        self.class_shapes = None if class_shapes is None else \
            tuple(class_shapes)
        self.keep_boxes = keep_boxes
        self._luts: Dict[str, np.ndarray] = {}

    def _class_codes(self, dataset_name: str) -> np.ndarray:
        """raw class id -> code of the wanted label type (cached)."""
        if dataset_name not in self._luts:
            lut = np.asarray(self.tree.dataset_lut(dataset_name))
            nodes = self.tree.code_to_node[lut]
            codes = np.full(len(lut), IGNORE_INDEX, dtype=np.uint8)
            for raw_id, node in enumerate(nodes):
                if node > 0:
                    codes[raw_id] = self.tree.encode(
                        int(node), weak=self.label_type == 'weak')
            self._luts[dataset_name] = codes
        return self._luts[dataset_name]

    def transform(self, results: dict) -> dict:
        height, width = results.get('ori_shape',
                                    results['img_shape'])[:2]
        boxes = np.asarray(results['gt_bboxes'], dtype=np.float64)
        boxes = boxes.reshape(-1, 4)
        labels = np.asarray(results['gt_bboxes_labels'],
                            dtype=np.int64).reshape(-1)
        lut = self._class_codes(results['dataset_name'])
        bad = labels[(labels < 0) | (labels >= len(lut))]
        if len(bad):
            raise ValueError(
                f'{results.get("img_path")}: box class id(s) '
                f'{sorted(set(bad.tolist()))} are not in dataset '
                f'{results["dataset_name"]!r} (ids 0..{len(lut) - 1})')
        shapes = None
        if self.mode == 'shape':
            if labels.size and labels.max() >= len(self.class_shapes):
                raise ValueError(
                    f'{results.get("img_path")}: no outline for class id '
                    f'{int(labels.max())} in class_shapes '
                    f'({len(self.class_shapes)} entries)')
            shapes = [self.class_shapes[i] for i in labels]
        mask, num_degenerate = boxes_to_mask(height, width, boxes,
                                             lut[labels], shapes)
        if num_degenerate:
            warnings.warn(
                f'{results.get("img_path")}: dropped {num_degenerate} '
                'degenerate box(es) with no pixel inside the image')
        results['gt_seg_map'] = mask
        seg_fields = results.setdefault('seg_fields', [])
        if 'gt_seg_map' not in seg_fields:
            seg_fields.append('gt_seg_map')
        if not self.keep_boxes:
            results.pop('gt_bboxes', None)
            results.pop('gt_bboxes_labels', None)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'label_type={self.label_type!r}, '
                f'keep_boxes={self.keep_boxes})')
