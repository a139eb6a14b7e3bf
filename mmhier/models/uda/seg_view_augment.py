# Copyright (c) mmhier contributors. All rights reserved.
"""Per-peer batched augmentation of segmentation views for MMT.

Each peer of :class:`~mmhier.models.uda.MMT` sees its own random view of the
batch; the mean nets predict on the un-augmented target images and their
predictions (soft maps, hard pseudo labels), like the source labels, are
moved into each peer's view with the SAME geometric transform. Doing this on
the batch inside the model, rather than producing two views in the dataset
pipeline, is what keeps the targets aligned: the transform is one affine
matrix per image, applied with ``grid_sample`` to the image (bilinear), to
probability maps of any resolution (bilinear, normalised coordinates do not
depend on the size) and to label maps (nearest); no inverse transform of a
pipeline's crop/flip has to be reconstructed from metainfo.

Geometric part: horizontal flip and a random zoom-in window (scale
``s ∈ scale_range``, ``s <= 1``, placed uniformly inside the image), so every
output pixel comes from inside the input image and no pixel of a view lacks
a target. Photometric part (images only): brightness shift, contrast and
saturation factors, in pixel units of the un-normalised image.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmhier.registry import MODELS


@MODELS.register_module()
class SegViewAugment(nn.Module):
    """Random flip + zoom-in crop + colour jitter on a batch of images.

    Args:
        flip_prob (float): Probability of a horizontal flip. Defaults to 0.5.
        scale_range (tuple[float, float]): Side of the zoom-in window
            relative to the image, in ``(0, 1]``. Defaults to (0.75, 1.0).
        brightness (float): Maximal brightness shift (0..255 units).
            Defaults to 32.
        contrast_range (tuple[float, float]): Contrast factor range.
            Defaults to (0.7, 1.3).
        saturation_range (tuple[float, float]): Saturation factor range.
            Defaults to (0.7, 1.3).
        mean (Sequence[float]): Normalisation mean of the inputs.
        std (Sequence[float]): Normalisation std of the inputs.
    """

    def __init__(self,
                 flip_prob: float = 0.5,
                 scale_range: Tuple[float, float] = (0.75, 1.0),
                 brightness: float = 32.,
                 contrast_range: Tuple[float, float] = (0.7, 1.3),
                 saturation_range: Tuple[float, float] = (0.7, 1.3),
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)) -> None:
        super().__init__()
        if not 0 < scale_range[0] <= scale_range[1] <= 1:
            raise ValueError('scale_range must satisfy 0 < low <= high <= 1 '
                             f'(zoom-in only), got {scale_range}')
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.flip_prob = flip_prob
        self.scale_range = tuple(scale_range)
        self.brightness = brightness
        self.contrast_range = tuple(contrast_range)
        self.saturation_range = tuple(saturation_range)
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def sample(self, batch_size: int,
               generator: Optional[torch.Generator] = None
               ) -> Dict[str, Tensor]:
        """Draw one view's parameters per image (on the CPU generator).

        Returns:
            dict: ``theta`` ``[B, 2, 3]`` (output -> input normalised
            coordinates, as ``F.affine_grid``), ``brightness``,
            ``contrast``, ``saturation`` ``[B]``.
        """

        def uniform(low, high):
            return low + (high - low) * torch.rand(
                batch_size, generator=generator)

        flip = torch.where(
            torch.rand(batch_size, generator=generator) < self.flip_prob,
            -1., 1.)
        scale = uniform(*self.scale_range)
        tx = (1 - scale) * uniform(-1., 1.)
        ty = (1 - scale) * uniform(-1., 1.)
        theta = torch.zeros(batch_size, 2, 3)
        theta[:, 0, 0] = flip * scale
        theta[:, 0, 2] = tx
        theta[:, 1, 1] = scale
        theta[:, 1, 2] = ty
        return dict(
            theta=theta,
            brightness=uniform(-self.brightness, self.brightness),
            contrast=uniform(*self.contrast_range),
            saturation=uniform(*self.saturation_range))

    @staticmethod
    def warp(x: Tensor,
             theta: Tensor,
             size: Optional[Tuple[int, int]] = None,
             mode: str = 'bilinear') -> Tensor:
        """Apply the geometric transform to ``[B, C, H, W]`` maps.

        Args:
            x (Tensor): Images, probability maps or (float) label maps.
            theta (Tensor): ``[B, 2, 3]`` from :meth:`sample`.
            size (tuple[int, int], optional): Output ``(H, W)``; defaults to
                the input's.
            mode (str): ``'bilinear'`` or ``'nearest'`` (labels).
        """
        size = tuple(x.shape[2:]) if size is None else tuple(size)
        grid = F.affine_grid(
            theta.to(x.device, torch.float32),
            (x.shape[0], x.shape[1]) + size,
            align_corners=False)
        return F.grid_sample(
            x.float(), grid, mode=mode, padding_mode='border',
            align_corners=False).to(x.dtype)

    def forward(self, img: Tensor, params: Dict[str, Tensor]) -> Tensor:
        """Geometric then photometric augmentation of normalised images."""
        img = self.warp(img, params['theta'])
        raw = img * self.std + self.mean
        dev = img.device
        raw = raw + params['brightness'].to(dev).view(-1, 1, 1, 1)
        mean = raw.mean(dim=(1, 2, 3), keepdim=True)
        raw = (raw - mean) * params['contrast'].to(dev).view(-1, 1, 1,
                                                             1) + mean
        gray = raw.mean(dim=1, keepdim=True)
        raw = (raw - gray) * params['saturation'].to(dev).view(-1, 1, 1,
                                                               1) + gray
        return (raw.clamp(0, 255) - self.mean) / self.std
