# Copyright (c) mmhier contributors. All rights reserved.
"""Drawing of traffic signs with their GTSDB shape, colours and glyph.

A sign face is the class outline (:data:`GTSDB_SHAPES`) in its rim colour,
an inner area in the fill colour and a class-specific glyph: a 2 x 3 grid of
cells that spells ``class_id + 1`` in binary (every class has a different,
non-empty pattern, so all 43 classes are separable even inside one
shape/colour group, the way real pictograms are). End-of-restriction signs
also get their diagonal stripe. Sign backs are a plain grey outline.
"""
import numpy as np

from mmhier.datasets.gtsdb_meta import (GTSDB_CLASS_SCHEMES, GTSDB_SHAPES,
                                        NUM_GTSDB_CLASSES, gtsdb_sign_colors)
from .canvas import Canvas
from .labels import SceneClass

GLYPH_ROWS, GLYPH_COLS = 2, 3

_S3 = np.sqrt(3.0) / 2.0
_OCT = np.deg2rad(22.5 + 45.0 * np.arange(8))

#: Outline vertices of each shape in unit coordinates (box ``[-1, 1]``),
#: plus the point the inner area is scaled about and the inner scale.
_SHAPE_POLYGONS = {
    'triangle_up': np.array([[0, -_S3], [1, _S3], [-1, _S3]]),
    'triangle_down': np.array([[-1, -_S3], [1, -_S3], [0, _S3]]),
    'octagon': np.stack([np.cos(_OCT), np.sin(_OCT)], axis=1),
    'diamond': np.array([[0, -1], [1, 0], [0, 1], [-1, 0]]),
}
_INNER_SCALE = {
    'circle': 0.78,
    'triangle_up': 0.6,
    'triangle_down': 0.6,
    'octagon': 0.88,
    'diamond': 0.8
}
#: Glyph box ``(x_min, y_min, x_max, y_max)`` in unit coordinates.
_GLYPH_BOX = {
    'circle': (-0.48, -0.34, 0.48, 0.34),
    'octagon': (-0.5, -0.34, 0.5, 0.34),
    'triangle_up': (-0.34, 0.08, 0.34, 0.6),
    'triangle_down': (-0.34, -0.6, 0.34, -0.08),
    'diamond': (-0.36, -0.26, 0.36, 0.26),
}


def glyph_code(class_id: int) -> np.ndarray:
    """The ``(2, 3)`` boolean cell pattern of a GTSDB class.

    The pattern is ``class_id + 1`` written in binary, most significant bit
    first, row-major, so every class has a unique non-empty glyph.

    Args:
        class_id (int): GTSDB class id in ``[0, 42]``.
    """
    if not 0 <= class_id < NUM_GTSDB_CLASSES:
        raise ValueError(f'GTSDB class id {class_id} is outside '
                         f'[0, {NUM_GTSDB_CLASSES - 1}]')
    bits = [(class_id + 1) >> (GLYPH_ROWS * GLYPH_COLS - 1 - k) & 1
            for k in range(GLYPH_ROWS * GLYPH_COLS)]
    return np.array(bits, bool).reshape(GLYPH_ROWS, GLYPH_COLS)


def _shape_mask(canvas: Canvas,
                shape: str,
                cx: float,
                cy: float,
                r: float,
                scale: float = 1.0):
    if shape == 'circle':
        return canvas.ellipse_mask(cx, cy, r * scale, r * scale)
    unit = _SHAPE_POLYGONS[shape]
    center = unit.mean(axis=0)
    pts = center + scale * (unit - center)
    return canvas.polygon_mask(pts * r + (cx, cy))


def draw_sign(canvas: Canvas,
              cx: float,
              cy: float,
              size: float,
              class_id: int,
              front: bool,
              instance: int,
              back_color=(165, 165, 170),
              shade: float = 1.0) -> None:
    """Draw one sign face (front with glyph, or grey back) centred at (cx, cy).

    Args:
        canvas (Canvas): Target canvas.
        cx, cy (float): Centre of the sign's bounding box.
        size (float): Width of the sign in pixels.
        class_id (int): GTSDB class (outline of the back side too).
        front (bool): Draw the front (labels ``SIGN_FRONT`` + class id) or
            the back (``SIGN_BACK``).
        instance (int): Instance id written on the front's pixels.
        back_color: RGB colour of the back side.
        shade (float): Brightness multiplier of this sign (sun / shadow).
    """
    shape = GTSDB_SHAPES[class_id]
    r = size / 2.0
    outer = _shape_mask(canvas, shape, cx, cy, r)
    if not front:
        canvas.paint(outer,
                     np.asarray(back_color) * shade, SceneClass.SIGN_BACK)
        return
    colors = {
        k: np.asarray(v, np.float32) * shade
        for k, v in gtsdb_sign_colors(class_id).items()
    }
    canvas.paint(outer,
                 colors['rim'],
                 SceneClass.SIGN_FRONT,
                 sign_id=class_id,
                 instance=instance)
    canvas.paint(_shape_mask(canvas, shape, cx, cy, r, _INNER_SCALE[shape]),
                 colors['fill'], None)
    if GTSDB_CLASS_SCHEMES[class_id] == 'end_of_restriction':
        canvas.paint(
            canvas.line_mask((cx - 0.55 * r, cy + 0.55 * r),
                             (cx + 0.55 * r, cy - 0.55 * r), 0.12 * size),
            colors['glyph'], None)
    x_min, y_min, x_max, y_max = _GLYPH_BOX[shape]
    cell_w = (x_max - x_min) / GLYPH_COLS
    cell_h = (y_max - y_min) / GLYPH_ROWS
    for row, col in zip(*np.nonzero(glyph_code(class_id))):
        gx0 = cx + r * (x_min + (col + 0.15) * cell_w)
        gy0 = cy + r * (y_min + (row + 0.15) * cell_h)
        gx1 = cx + r * (x_min + (col + 0.85) * cell_w)
        gy1 = cy + r * (y_min + (row + 0.85) * cell_h)
        canvas.fill_rect(gx0, gy0, max(gx1, gx0 + 1), max(gy1, gy0 + 1),
                         colors['glyph'], None)
