# Copyright (c) mmhier contributors. All rights reserved.
"""Byte-deterministic image writers for the real on-disk formats."""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np
from PIL import Image

_JPEG_QUALITY = 92


def _prepare(path: str) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)


def _imwrite(path: str, array: np.ndarray, params=()) -> None:
    _prepare(path)
    if not cv2.imwrite(path, array, list(params)):
        raise OSError(f'cv2 could not write {path}')


def write_rgb_png(path: str, rgb: np.ndarray) -> None:
    """8-bit RGB PNG (Cityscapes ``leftImg8bit``)."""
    _imwrite(path, np.ascontiguousarray(rgb[..., ::-1]))


def write_gray_png(path: str, ids: np.ndarray) -> None:
    """8-bit single-channel PNG (PIL mode ``L``; Cityscapes gtFine maps)."""
    _imwrite(path, np.ascontiguousarray(ids, dtype=np.uint8))


def write_jpg(path: str,
              rgb: np.ndarray,
              quality: int = _JPEG_QUALITY) -> None:
    """Baseline JPEG (Vistas images, Market-1501 crops)."""
    _imwrite(path, np.ascontiguousarray(rgb[..., ::-1]),
             (cv2.IMWRITE_JPEG_QUALITY, quality))


def write_palette_png(path: str, ids: np.ndarray,
                      palette: Sequence[Sequence[int]]) -> None:
    """PIL mode ``P`` PNG whose pixel values are the class ids, with the
    dataset colours as palette (how Mapillary Vistas ships its labels)."""
    _prepare(path)
    img = Image.fromarray(np.ascontiguousarray(ids, dtype=np.uint8))
    flat = [int(c) for color in palette for c in color]
    img.putpalette(flat + [0] * (768 - len(flat)))
    img.save(path, format='PNG')


def write_ppm(path: str, rgb: np.ndarray) -> None:
    """Binary PPM (``P6``, maxval 255), the GTSDB image format."""
    _prepare(path)
    h, w = rgb.shape[:2]
    with open(path, 'wb') as f:
        f.write(f'P6\n{w} {h}\n255\n'.encode('ascii'))
        f.write(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())
