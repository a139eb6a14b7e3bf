# Copyright (c) mmhier contributors. All rights reserved.
"""A paint canvas that keeps an image and its label maps pixel-aligned.

Every shape is rasterised once into a small local mask and that one mask is
used to write the colour *and* the labels, so image and annotation can never
disagree about a pixel (no anti-aliasing on label borders).
"""
from typing import Optional, Sequence, Union

import cv2
import numpy as np

from .labels import SceneClass

Color = Union[Sequence[float], np.ndarray]

NO_SIGN = 255


class Canvas:
    """RGB float image plus label maps of one synthetic image.

    Attributes:
        image (np.ndarray): ``(H, W, 3)`` float32 RGB in ``[0, 255]``.
        label (np.ndarray): ``(H, W)`` uint8 :class:`SceneClass` ids.
        sign (np.ndarray): ``(H, W)`` uint8 GTSDB class id on the visible
            front face of a sign, ``255`` elsewhere.
        instance (np.ndarray): ``(H, W)`` int16 sign instance id (0 = none),
            used to derive tight boxes of the visible sign pixels.
    """

    def __init__(self, height: int, width: int):
        self.height, self.width = int(height), int(width)
        self.image = np.zeros((height, width, 3), np.float32)
        self.label = np.full((height, width), SceneClass.UNLABELED, np.uint8)
        self.sign = np.full((height, width), NO_SIGN, np.uint8)
        self.instance = np.zeros((height, width), np.int16)

    # ---------------------------------------------------------------- masks
    def _rasterise(self, xs: np.ndarray, ys: np.ndarray, draw):
        """Draw a shape into a mask over its bounding box.

        Args:
            xs, ys (np.ndarray): Coordinates whose bounding box holds the
                shape; it is clipped to the canvas.
            draw (callable): ``draw(mask, x0, y0)`` draws the shape with
                value 1 into the zero ``uint8`` ``mask`` whose top-left pixel
                is the canvas pixel ``(x0, y0)``.

        Returns:
            tuple | None: ``(bool mask, x0, y0)``, or None when the box lies
            outside the canvas.
        """
        x0 = max(int(np.floor(xs.min())), 0)
        y0 = max(int(np.floor(ys.min())), 0)
        x1 = min(int(np.ceil(xs.max())) + 1, self.width)
        y1 = min(int(np.ceil(ys.max())) + 1, self.height)
        if x1 <= x0 or y1 <= y0:
            return None
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        draw(mask, x0, y0)
        return mask.astype(bool), x0, y0

    def polygon_mask(self, pts: np.ndarray):
        """Rasterise one polygon ``(N, 2)`` or several ``(K, N, 2)``;
        returns ``(mask, x0, y0)`` or ``None``."""
        pts = np.asarray(pts, np.float64)
        polys = pts.reshape(-1, pts.shape[-2], 2) if pts.ndim == 3 else \
            pts.reshape(1, -1, 2)
        # Keep coordinates in a range cv2's int32 fixed point handles.
        polys = np.clip(polys, -8 * self.width, 9 * self.width)
        flat = polys.reshape(-1, 2)

        def draw(mask, x0, y0):
            local = np.round(polys - (x0, y0)).astype(np.int32)
            cv2.fillPoly(mask, list(local), 1)

        return self._rasterise(flat[:, 0], flat[:, 1], draw)

    def ellipse_mask(self,
                     cx: float,
                     cy: float,
                     ax: float,
                     ay: float,
                     angle: float = 0.0):
        """Rasterise a filled ellipse; returns ``(mask, x0, y0)`` or None."""
        ax, ay = max(ax, 0.5), max(ay, 0.5)
        r = max(ax, ay)

        def draw(mask, x0, y0):
            cv2.ellipse(mask, (int(round(cx - x0)), int(round(cy - y0))),
                        (int(round(ax)), int(round(ay))), angle, 0, 360, 1,
                        -1)

        return self._rasterise(
            np.array([cx - r, cx + r]), np.array([cy - r, cy + r]), draw)

    def ring_mask(self, cx: float, cy: float, radius: float, thickness: float):
        """Rasterise a circle outline (a wheel); returns mask tuple or None."""
        r = radius + thickness

        def draw(mask, x0, y0):
            cv2.circle(mask, (int(round(cx - x0)), int(round(cy - y0))),
                       max(int(round(radius)), 1), 1,
                       max(int(round(thickness)), 1))

        return self._rasterise(
            np.array([cx - r, cx + r]), np.array([cy - r, cy + r]), draw)

    def line_mask(self, p0, p1, thickness: float):
        """Rasterise a thick line segment; returns mask tuple or None."""
        t = max(thickness, 1.0)
        xs, ys = np.array([p0[0], p1[0]]), np.array([p0[1], p1[1]])

        def draw(mask, x0, y0):
            cv2.line(mask, (int(round(p0[0] - x0)), int(round(p0[1] - y0))),
                     (int(round(p1[0] - x0)), int(round(p1[1] - y0))), 1,
                     max(int(round(t)), 1))

        return self._rasterise(
            np.concatenate([xs - t, xs + t]), np.concatenate([ys - t, ys + t]),
            draw)

    # -------------------------------------------------------------- painting
    def paint(self,
              shape,
              color: Color,
              label: Optional[int],
              sign_id: int = NO_SIGN,
              instance: int = 0) -> None:
        """Write ``color`` (and labels unless ``label`` is None) under a mask.

        Args:
            shape: ``(mask, x0, y0)`` from one of the ``*_mask`` methods, or
                None (nothing visible).
            color: RGB colour.
            label (int | None): :class:`SceneClass` id; None keeps the labels
                (a detail painted on an already labelled part, e.g. a glyph).
            sign_id (int): GTSDB class for sign fronts, 255 otherwise.
            instance (int): Sign instance id, 0 otherwise.
        """
        if shape is None:
            return
        mask, x0, y0 = shape
        h, w = mask.shape
        mask = mask[:self.height - y0, :self.width - x0]
        if not mask.any():
            return
        h, w = mask.shape
        region = (slice(y0, y0 + h), slice(x0, x0 + w))
        self.image[region][mask] = np.asarray(color, np.float32)
        if label is not None:
            self.label[region][mask] = label
            self.sign[region][mask] = sign_id
            self.instance[region][mask] = instance

    def fill_polygon(self, pts, color: Color, label: Optional[int],
                     **kwargs) -> None:
        self.paint(self.polygon_mask(pts), color, label, **kwargs)

    def fill_rect(self, x0: float, y0: float, x1: float, y1: float,
                  color: Color, label: Optional[int]) -> None:
        """Fill the axis-aligned rectangle with corners (x0, y0), (x1, y1)."""
        if x1 - x0 < 1:  # keep thin far-away parts one pixel wide
            xc = 0.5 * (x0 + x1)
            x0, x1 = xc - 0.5, xc + 0.5
        if y1 - y0 < 1:
            yc = 0.5 * (y0 + y1)
            y0, y1 = yc - 0.5, yc + 0.5
        pts = np.array([[x0, y0], [x1 - 1, y0], [x1 - 1, y1 - 1], [x0,
                                                                   y1 - 1]])
        self.fill_polygon(pts, color, label)

    # --------------------------------------------------------- finishing
    def finish(self,
               rng: np.random.Generator,
               style,
               texture_of_label,
               roll_deg: float = 0.0) -> np.ndarray:
        """Apply texture, lighting, noise and camera roll; return uint8 RGB.

        Args:
            rng: Random generator of this image.
            style (SceneStyle): Domain appearance.
            texture_of_label (np.ndarray): ``(num_scene_classes,)`` relative
                texture amplitude of each :class:`SceneClass`.
            roll_deg (float): Camera roll applied to image and labels alike
                (bilinear for the image, nearest for the labels).
        """
        h, w = self.height, self.width
        img = self.image
        # Per-class multiplicative texture: a fine grain plus a blotchy
        # low-frequency component (leaves, stains, tarmac patches).
        fine = rng.standard_normal((h, w)).astype(np.float32)
        coarse = cv2.resize(rng.standard_normal(
            (max(h // 6, 2), max(w // 6, 2))).astype(np.float32), (w, h),
                            interpolation=cv2.INTER_CUBIC)
        amp = texture_of_label[self.label]
        img = img * (1.0 + amp * (0.5 * fine + 0.8 * coarse))[..., None]
        # Smooth illumination field (clouds, shadows).
        light = cv2.resize(rng.uniform(0.85, 1.15, (3, 4)).astype(np.float32),
                           (w, h),
                           interpolation=cv2.INTER_CUBIC)
        gain = rng.uniform(*style.gain)
        img = img * (light * gain)[..., None] * np.asarray(
            style.tint, np.float32)
        img = 255.0 * (np.clip(img, 0, 255) / 255.0)**style.gamma
        img = img + rng.normal(0.0, style.noise_sigma, img.shape).astype(
            np.float32)
        img = np.clip(img, 0, 255)
        if rng.random() < 0.3:
            img = cv2.GaussianBlur(img, (3, 3), 0.6)
        if roll_deg:
            rot = cv2.getRotationMatrix2D((w / 2, h / 2), roll_deg, 1.0)
            img = cv2.warpAffine(img,
                                 rot, (w, h),
                                 flags=cv2.INTER_LINEAR,
                                 borderValue=(0, 0, 0))
            for name, border in (('label', int(SceneClass.UNLABELED)),
                                 ('sign', NO_SIGN), ('instance', 0)):
                setattr(
                    self, name,
                    cv2.warpAffine(getattr(self, name),
                                   rot, (w, h),
                                   flags=cv2.INTER_NEAREST,
                                   borderValue=border))
        return np.round(img).astype(np.uint8)
