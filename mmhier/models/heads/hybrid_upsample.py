# Copyright (c) mmhier contributors. All rights reserved.
"""Hybrid upsampling of classifier logits (Meletis & Dubbelman, IV 2018,
Sec. IV): a learnable transposed convolution with stride 2, followed by a
bilinear resize to the input size.

Only the learnable x2 stage lives here; the bilinear stage is the resize that
:class:`~mmseg.models.decode_heads.BaseDecodeHead` and ``EncoderDecoder``
already apply to every head output, so it is not duplicated.
"""
import torch
import torch.nn as nn
from torch import Tensor


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """Channel-diagonal bilinear interpolation kernel for a transposed conv.

    Returns a ``[channels, channels, k, k]`` weight that makes a stride-2
    ``ConvTranspose2d`` a plain bilinear x2 upsampler, the classic FCN
    initialisation (Long et al., CVPR 2015), so that the learnable stage starts
    from the same map that the bilinear stage would produce.
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float32)
    filt_1d = 1 - (og - center).abs() / factor
    filt = filt_1d[:, None] * filt_1d[None, :]
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    idx = torch.arange(channels)
    weight[idx, idx] = filt
    return weight


class HybridUpsample(nn.Module):
    """Learnable x2 upsampling stage of the paper's hybrid upsampling.

    ``ConvTranspose2d(C, C, k, stride=2)`` with ``padding = (k - 1) // 2`` and
    ``output_padding = 2 + 2 * padding - k`` so that the output is exactly
    ``2H x 2W`` for every kernel size ``k >= 2``
    (out = (H - 1) * 2 - 2 * padding + k + output_padding = 2H).

    Args:
        channels (int): Input and output channels (the classifier's classes).
        kernel_size (int): Kernel of the transposed conv. The authors' code
            uses 4. Defaults to 4.
        bilinear_init (bool): Initialise as a bilinear upsampler (see
            :func:`bilinear_kernel`). Defaults to True.
    """

    def __init__(self,
                 channels: int,
                 kernel_size: int = 4,
                 bilinear_init: bool = True) -> None:
        super().__init__()
        if kernel_size < 2:
            raise ValueError(
                f'HybridUpsample kernel_size must be >= 2, got {kernel_size}')
        padding = (kernel_size - 1) // 2
        output_padding = 2 + 2 * padding - kernel_size
        self.deconv = nn.ConvTranspose2d(
            channels,
            channels,
            kernel_size,
            stride=2,
            padding=padding,
            output_padding=output_padding)
        self.bilinear_init = bilinear_init
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Bilinear (or PyTorch default) weights and a zero bias."""
        if self.bilinear_init:
            with torch.no_grad():
                self.deconv.weight.copy_(
                    bilinear_kernel(self.deconv.in_channels,
                                    self.deconv.kernel_size[0]))
                self.deconv.bias.zero_()
        else:
            self.deconv.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return self.deconv(x)
