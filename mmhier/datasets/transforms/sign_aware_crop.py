# Copyright (c) mmhier contributors. All rights reserved.
"""Random crop that keeps the (few, small) labelled pixels of a box dataset.

A GTSDB image is 1360x800 and its signs cover well under 1% of it; after
:class:`BoxToMask` every other pixel is ignore. A plain random crop of
512x706 often holds no sign at all and its loss is empty. This crop, with
probability ``prob``, centres its choice on a labelled pixel drawn uniformly
from the map, so every sign pixel is equally likely to end up in a crop.

With ``taxonomy`` and ``target_node`` the drawn pixel is one labelled inside
that node's subtree instead (per-pixel or box-derived codes), e.g.
``target_node='traffic sign'`` on Cityscapes and Vistas: the paper's crops
(512x706 of a 1024x512 image, Meletis & Dubbelman, IV 2018, Sec. IV) cover
about 70% of the image and so hold nearly all of its signs; a small crop
for a CPU budget (128x128 of 512x256, 12.5%) would miss most of them, and
the root classifier, the only one that learns "traffic sign" from per-pixel
labels, would see the class far less often than in the paper.
"""
import numpy as np
from mmcv.transforms.utils import cache_randomness
from mmseg.datasets.transforms import RandomCrop

from mmhier.registry import TRANSFORMS
from mmhier.taxonomy import LabelTree


@TRANSFORMS.register_module()
class SignAwareRandomCrop(RandomCrop):
    """mmseg ``RandomCrop`` that, with probability ``prob``, picks a crop
    containing at least one labelled pixel.

    With probability ``prob`` (and when the map has labelled pixels) a pixel
    ``(y, x)`` with ``gt_seg_map != ignore_index`` is drawn uniformly and the
    crop offset is drawn uniformly among the offsets whose window contains
    it; otherwise the crop is the parent's (``cat_max_ratio`` included).

    Args:
        crop_size (int | tuple[int, int]): ``(h, w)`` of the crop.
        prob (float): Probability of a labelled-pixel-aware crop.
            Defaults to 1.0.
        cat_max_ratio (float): See mmseg ``RandomCrop``. Defaults to 1.0.
        ignore_index (int): Value of unlabelled pixels. Defaults to 255.
        taxonomy (str | dict | LabelTree, optional): The label tree, needed
            with ``target_node``.
        target_node (str, optional): Draw among the pixels labelled inside
            this node's subtree (the node itself, its descendants, per-pixel
            or weak). None: any labelled pixel. Defaults to None.
    """

    def __init__(self,
                 crop_size,
                 prob: float = 1.0,
                 cat_max_ratio: float = 1.,
                 ignore_index: int = 255,
                 taxonomy=None,
                 target_node=None) -> None:
        super().__init__(crop_size, cat_max_ratio, ignore_index)
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.target_node = target_node
        self.target_codes = None
        if target_node is not None:
            if taxonomy is None:
                raise ValueError('SignAwareRandomCrop: target_node='
                                 f'{target_node!r} needs the taxonomy')
            # [256] bool: codes whose node lies in the target's subtree
            self.target_codes = LabelTree.build(taxonomy).codes_under(
                target_node)

    @cache_randomness
    def crop_bbox(self, results: dict) -> tuple:
        seg = results.get('gt_seg_map')
        if seg is None or np.random.rand() >= self.prob:
            return super().crop_bbox(results)
        if self.target_codes is None:
            ys, xs = np.nonzero(seg != self.ignore_index)
        else:
            ys, xs = np.nonzero(self.target_codes[seg])
        if len(ys) == 0:
            return super().crop_bbox(results)
        pick = np.random.randint(len(ys))
        y, x = int(ys[pick]), int(xs[pick])
        height, width = results['img'].shape[:2]
        crop_h, crop_w = self.crop_size
        # offsets o with o <= y < o + crop_h and 0 <= o <= height - crop_h
        y_lo, y_hi = max(0, y - crop_h + 1), max(0, min(y, height - crop_h))
        x_lo, x_hi = max(0, x - crop_w + 1), max(0, min(x, width - crop_w))
        offset_h = np.random.randint(y_lo, y_hi + 1)
        offset_w = np.random.randint(x_lo, x_hi + 1)
        return (offset_h, offset_h + crop_h, offset_w, offset_w + crop_w)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'prob={self.prob}, target_node={self.target_node!r})')
