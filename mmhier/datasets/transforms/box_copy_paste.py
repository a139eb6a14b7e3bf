# Copyright (c) mmhier contributors. All rights reserved.
"""Copy-paste of labelled boxes from earlier samples into the current crop.

A box dataset such as GTSDB holds one to three signs per image, so a crop
holds about two (2.16 on average in the synthetic training pipeline) and a
43-way sign classifier sees few examples per step. Pasting signs cut from
other training images multiplies them at no cost in compute: Dwibedi et
al., "Cut, Paste and Learn: Surprisingly Easy Synthesis for Instance
Detection", ICCV 2017; Ghiasi et al., "Simple Copy-Paste is a Strong Data
Augmentation Method for Instance Segmentation", CVPR 2021 (Sec. 3: random
placement works as well as context-aware placement).

Why our own transform: mmdet's ``CopyPaste`` needs instance masks and
``MultiImageMixDataset`` (which our multi-source concatenation does not
wrap), and mmseg has no copy-paste. Like mmdet 3.x's ``CachedMosaic`` this
transform keeps a cache of earlier samples inside the transform (one per
dataloader worker), so it is a plain pipeline step.
"""
from typing import Dict, List, Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmhier.registry import TRANSFORMS

#: Region caches shared by name between the ``BoxCopyPaste`` instances of
#: one process (each dataloader worker has its own): the box dataset's
#: pipeline fills one, the per-pixel datasets' pipelines paste from it.
_SHARED_CACHES: Dict[str, List[Tuple[np.ndarray, np.ndarray]]] = {}


def labelled_patches(img: np.ndarray,
                     seg: np.ndarray,
                     ignore_index: int = 255,
                     min_pixels: int = 1) -> List[Tuple[np.ndarray,
                                                        np.ndarray]]:
    """Cut every connected region of labelled pixels that does not touch
    the image border (a region cut by the border is a partial sign).

    Args:
        img (np.ndarray): ``H x W x C`` image.
        seg (np.ndarray): ``H x W`` label map, ``ignore_index`` where
            unlabelled.
        ignore_index (int): Value of unlabelled pixels.
        min_pixels (int): Smallest region kept.

    Returns:
        list[tuple[np.ndarray, np.ndarray]]: ``(image patch, label patch)``
        over each region's bounding rectangle; the label patch is
        ``ignore_index`` outside the region (overlapping boxes form one
        region and keep their own labels).
    """
    labelled = (seg != ignore_index).astype(np.uint8)
    count, comp, stats, _ = cv2.connectedComponentsWithStats(
        labelled, connectivity=8)
    height, width = seg.shape
    patches = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if area < min_pixels or x == 0 or y == 0 or x + w == width \
                or y + h == height:
            continue
        inside = comp[y:y + h, x:x + w] == i
        label = np.where(inside, seg[y:y + h, x:x + w],
                         ignore_index).astype(seg.dtype)
        patches.append((img[y:y + h, x:x + w].copy(), label))
    return patches


@TRANSFORMS.register_module()
class BoxCopyPaste(BaseTransform):
    """Paste labelled regions cut from earlier samples into this sample.

    Each call (1) pastes up to ``max_num_pasted`` regions drawn from the
    cache at random places of the image where they overlap no labelled
    pixel (a place is drawn up to ``max_tries`` times, else the region is
    skipped), writing its image pixels and its labels where the region is
    labelled (the whole rectangle for a box label, the outline for a sign
    outline), then (2) adds the regions of the incoming sample (before the
    paste) to the cache, dropping the oldest beyond ``max_cached``.

    Place it after the crop, on a box dataset whose labelled pixels are
    the boxes (``BoxToMask``, weak or per-pixel codes): the pasted signs
    keep their native scale, since every sample went through the same
    resize. Regions touching the crop's border are not cached. The cache
    is augmentation state, not training state: it is not saved in
    checkpoints and refills from the first samples after a resume (as
    mmdet's ``CachedMosaic``).

    **Into other datasets.** Instances with the same ``cache_name`` share
    one cache per process. With ``fill_cache=False`` and
    ``paste_over='any'`` in the pipeline of a per-pixel dataset (after its
    crop, at the same resize scale), the box dataset's regions are pasted
    over its labels, e.g. GTSDB signs with their weak codes onto Cityscapes
    streets. All datasets share one node-space code map, so the loss
    treats a pasted pixel exactly as in its own dataset (weak codes never
    train the root). The occluded per-pixel labels are replaced.

    Required keys: ``img``, ``gt_seg_map``. Modified keys: ``img``,
    ``gt_seg_map``.

    Args:
        max_num_pasted (int): Most regions pasted per sample; the number is
            drawn uniformly from ``0 .. max_num_pasted``. Defaults to 4.
        max_cached (int): Regions kept in the cache. Defaults to 200.
        prob (float): Probability of pasting at all. Defaults to 1.0.
        max_tries (int): Places drawn per region. Defaults to 10.
        min_pixels (int): Smallest region cached. Defaults to 16.
        scale_range (tuple[float, float], optional): Each pasted region is
            resized by a factor drawn log-uniformly from this range
            (bilinear image, nearest labels). None keeps the native scale.
            Defaults to None.
        ignore_index (int): Value of unlabelled pixels. Defaults to 255.
        cache_name (str, optional): Share the cache with every instance of
            this name in the process. None: a cache of this instance.
            Defaults to None.
        fill_cache (bool): Add the incoming sample's regions to the cache.
            False on a pipeline that only pastes from a shared cache.
            Defaults to True.
        paste_over (str): Where a region may land: ``'unlabelled'`` only on
            ``ignore_index`` pixels (a box dataset's background);
            ``'any'`` over any label (a densely labelled crop), but not
            over a region pasted into the same sample. Defaults to
            ``'unlabelled'``.
    """

    def __init__(self,
                 max_num_pasted: int = 4,
                 max_cached: int = 200,
                 prob: float = 1.0,
                 max_tries: int = 10,
                 min_pixels: int = 16,
                 scale_range: Optional[Tuple[float, float]] = None,
                 ignore_index: int = 255,
                 cache_name: Optional[str] = None,
                 fill_cache: bool = True,
                 paste_over: str = 'unlabelled') -> None:
        if max_num_pasted < 0:
            raise ValueError(
                f'max_num_pasted must be >= 0, got {max_num_pasted}')
        if max_cached < 1:
            raise ValueError(f'max_cached must be >= 1, got {max_cached}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if max_tries < 1:
            raise ValueError(f'max_tries must be >= 1, got {max_tries}')
        if scale_range is not None and not (len(scale_range) == 2 and
                                            0 < scale_range[0] <=
                                            scale_range[1]):
            raise ValueError('scale_range must be (low, high) with 0 < low '
                             f'<= high, got {scale_range}')
        self.scale_range = None if scale_range is None else \
            tuple(float(v) for v in scale_range)
        self.max_num_pasted = max_num_pasted
        self.max_cached = max_cached
        self.prob = prob
        self.max_tries = max_tries
        if paste_over not in ('unlabelled', 'any'):
            raise ValueError("paste_over must be 'unlabelled' or 'any', got "
                             f'{paste_over!r}')
        if not fill_cache and cache_name is None:
            raise ValueError('fill_cache=False needs a cache_name to paste '
                             'from (a cache nothing fills stays empty)')
        self.min_pixels = min_pixels
        self.ignore_index = ignore_index
        self.cache_name = cache_name
        self.fill_cache = fill_cache
        self.paste_over = paste_over
        self._own_cache: List[Tuple[np.ndarray, np.ndarray]] = []

    @property
    def cache(self) -> List[Tuple[np.ndarray, np.ndarray]]:
        """The cached ``(image patch, label patch)`` regions, oldest first
        (shared with the instances of the same ``cache_name``)."""
        if self.cache_name is None:
            return self._own_cache
        return _SHARED_CACHES.setdefault(self.cache_name, [])

    @cache.setter
    def cache(self, regions: List[Tuple[np.ndarray, np.ndarray]]) -> None:
        if self.cache_name is None:
            self._own_cache = regions
        else:
            _SHARED_CACHES[self.cache_name] = regions

    def _rescaled(self, patch_img: np.ndarray,
                  patch_seg: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The region at a random scale of ``scale_range``."""
        if self.scale_range is None:
            return patch_img, patch_seg
        low, high = np.log(self.scale_range)
        scale = float(np.exp(np.random.uniform(low, high)))
        h, w = patch_seg.shape
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        return (mmcv.imresize(patch_img, size, interpolation='bilinear'),
                mmcv.imresize(patch_seg, size, interpolation='nearest'))

    @cache_randomness
    def _draw(self) -> Tuple[int, Optional[np.ndarray]]:
        """Number of regions to paste and which cached ones."""
        if not self.cache or np.random.rand() >= self.prob:
            return 0, None
        num = np.random.randint(0, self.max_num_pasted + 1)
        return num, np.random.randint(0, len(self.cache), size=num)

    def transform(self, results: dict) -> dict:
        img, seg = results['img'], results['gt_seg_map']
        if img.shape[:2] != seg.shape:
            raise ValueError(
                f'BoxCopyPaste: image {img.shape[:2]} and gt_seg_map '
                f'{seg.shape} differ in size ({results.get("img_path")})')
        incoming = labelled_patches(
            img, seg, self.ignore_index,
            self.min_pixels) if self.fill_cache else []
        num, picks = self._draw()
        if num:
            img, seg = img.copy(), seg.copy()
            height, width = seg.shape
            # where a region may not land: labelled pixels, or (over any
            # label) the regions pasted into this sample so far
            taken = seg != self.ignore_index \
                if self.paste_over == 'unlabelled' \
                else np.zeros(seg.shape, dtype=bool)
            for k in picks:
                patch_img, patch_seg = self._rescaled(*self.cache[k])
                h, w = patch_seg.shape
                if h > height or w > width:
                    continue
                inside = patch_seg != self.ignore_index
                for _ in range(self.max_tries):
                    y = np.random.randint(0, height - h + 1)
                    x = np.random.randint(0, width - w + 1)
                    taken_window = taken[y:y + h, x:x + w]
                    if not taken_window[inside].any():
                        seg[y:y + h, x:x + w][inside] = patch_seg[inside]
                        img[y:y + h, x:x + w][inside] = patch_img[inside]
                        taken_window[inside] = True
                        break
            results['img'], results['gt_seg_map'] = img, seg
        if incoming:
            cache = self.cache
            cache.extend(incoming)
            del cache[:max(0, len(cache) - self.max_cached)]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(max_num_pasted='
                f'{self.max_num_pasted}, max_cached={self.max_cached}, '
                f'prob={self.prob}, max_tries={self.max_tries}, '
                f'min_pixels={self.min_pixels}, '
                f'scale_range={self.scale_range}, '
                f'cache_name={self.cache_name!r}, '
                f'fill_cache={self.fill_cache}, '
                f'paste_over={self.paste_over!r})')
