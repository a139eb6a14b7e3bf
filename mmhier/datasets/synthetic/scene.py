# Copyright (c) mmhier contributors. All rights reserved.
"""Street-scene layout and painter.

The scene is laid out in metres in a simple pinhole camera looking along the
street (X to the right, z forward, heights h above the ground); a ground
point projects to ``u = vx + f X / z``, ``v = v_h + f (h_cam - h) / z``. So
the road is a perspective trapezoid meeting at the vanishing point, facades
are planes along the sidewalks, and objects shrink with distance, which is
what makes the images look like (very simple) street scenes. Objects are
painted far to near (painter's algorithm) so occlusions are consistent with
the labels.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from mmhier.datasets.gtsdb_meta import NUM_GTSDB_CLASSES
from .canvas import Canvas
from .labels import NUM_SCENE_CLASSES, SceneClass
from .signs import draw_sign
from .style import SceneStyle

#: Texture keys of :class:`SceneStyle` -> scene class.
_TEXTURE_CLASSES = dict(road=SceneClass.ROAD,
                        sidewalk=SceneClass.SIDEWALK,
                        curb=SceneClass.CURB,
                        terrain=SceneClass.TERRAIN,
                        vegetation=SceneClass.VEGETATION,
                        building=SceneClass.BUILDING,
                        sky=SceneClass.SKY)
_DEFAULT_TEXTURE = 0.04


@dataclass
class StreetScene:
    """One rendered street scene.

    Attributes:
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB.
        label (np.ndarray): ``(H, W)`` uint8 :class:`SceneClass` ids.
        sign (np.ndarray): ``(H, W)`` uint8 GTSDB class on visible sign
            fronts, 255 elsewhere.
        boxes (list[tuple[int, int, int, int, int]]): ``(left, top, right,
            bottom, class_id)`` with inclusive pixel coordinates of every
            visible sign front (tight around its visible pixels).
    """
    image: np.ndarray
    label: np.ndarray
    sign: np.ndarray
    boxes: List[Tuple[int, int, int, int, int]]


class _Camera:
    """Pinhole camera over a flat street (see module docstring)."""

    def __init__(self, width, height, horizon, focal, cam_height, vx):
        self.width, self.height = width, height
        self.vh, self.f, self.hc, self.vx = horizon, focal, cam_height, vx
        # Distance of the ground seen by the bottom image row.
        self.z_bottom = focal * cam_height / max(height - horizon, 1.0)

    def project(self, x, z, h=0.0):
        z = np.maximum(z, 1e-3)
        return (self.vx + self.f * np.asarray(x) / z,
                self.vh + self.f * (self.hc - np.asarray(h)) / z)

    def ppm(self, z):
        """Pixels per metre at distance ``z``."""
        return self.f / z

    def ground_quad(self, x0, x1, z0, z1):
        """Image polygon of the ground rectangle [x0, x1] x [z0, z1]."""
        xs = np.array([x0, x1, x1, x0])
        zs = np.array([z0, z0, z1, z1])
        return np.stack(self.project(xs, zs), axis=1)

    def facade_quad(self, x, z0, z1, h0, h1):
        """Image polygon of the vertical rectangle at lateral offset x."""
        zs = np.array([z0, z0, z1, z1])
        hs = np.array([h0, h1, h1, h0])
        return np.stack(self.project(np.full(4, x), zs, hs), axis=1)


def _jitter(rng, color, sigma):
    return np.clip(
        np.asarray(color, np.float32) + rng.normal(0, sigma, 3), 0, 255)


def _pick(rng, colors, sigma=0.0):
    colors = colors if isinstance(colors[0], (tuple, list)) else (colors, )
    return _jitter(rng, colors[rng.integers(len(colors))], sigma)


class _ScenePainter:
    """Lays out and paints one scene; one instance per image."""

    def __init__(self, rng: np.random.Generator, width: int, height: int,
                 style: SceneStyle):
        self.rng, self.style = rng, style
        self.colors = style.colors
        self.canvas = Canvas(height, width)
        horizon = height * rng.uniform(*style.horizon)
        self.cam = _Camera(width, height, horizon,
                           width * rng.uniform(*style.focal),
                           rng.uniform(*style.camera_height),
                           width * rng.uniform(0.4, 0.6))
        # Street cross-section (metres; camera at X = 0).
        lanes = int(rng.integers(2, 5))
        self.road_right = rng.uniform(1.5, 5.0)
        self.road_left = self.road_right - 3.3 * lanes
        self.lanes = lanes
        self.curb = 0.25
        self.sidewalk = (rng.uniform(2.0, 4.5), rng.uniform(2.0, 4.5))
        self.terrain = tuple(
            rng.uniform(1.0, 3.0) if rng.random() < 0.35 else 0.0
            for _ in range(2))
        self.facade_left = (self.road_left - self.curb - self.sidewalk[0] -
                            self.terrain[0])
        self.facade_right = (self.road_right + self.curb + self.sidewalk[1] +
                             self.terrain[1])
        self.z_near = 0.9 * self.cam.z_bottom
        self.z_far = 300.0
        self.crosswalk: Optional[Tuple[float, float]] = None
        self.next_instance = 1
        self.front_signs = []  # (instance, class_id)
        self.sign_rects = []  # image boxes taken by placed signs

    # ---------------------------------------------------------------- paint
    def color(self, key, sigma=None):
        sigma = self.style.color_jitter if sigma is None else sigma
        return _pick(self.rng, self.colors[key], sigma)

    def paint_sky(self):
        cv, h, w = self.canvas, self.canvas.height, self.canvas.width
        top, hor = self.color('sky_top', 6), self.color('sky_horizon', 6)
        t = np.clip(
            np.arange(h, dtype=np.float32) / max(self.cam.vh, 1.0), 0,
            1)[:, None, None]
        cv.image[:] = top * (1 - t) + hor * t
        cv.label[:] = SceneClass.SKY
        for _ in range(int(self.rng.integers(0, 4))):  # clouds
            cx, cy = self.rng.uniform(0, w), self.rng.uniform(0, self.cam.vh)
            cv.paint(
                cv.ellipse_mask(cx, cy,
                                self.rng.uniform(8, 30) * w / 256,
                                self.rng.uniform(3, 8) * h / 128),
                _jitter(self.rng, (235, 238, 242), 8), SceneClass.SKY)

    def paint_ground(self):
        cam, cv, rng = self.cam, self.canvas, self.rng
        zn, zf = self.z_near, self.z_far
        cv.fill_polygon(cam.ground_quad(-80, 80, zn, zf),
                        self.color('terrain'), SceneClass.TERRAIN)
        rl, rr, c = self.road_left, self.road_right, self.curb
        walk = self.color('sidewalk')
        for x0, x1 in ((rl - c - self.sidewalk[0], rl - c),
                       (rr + c, rr + c + self.sidewalk[1])):
            cv.fill_polygon(cam.ground_quad(x0, x1, zn, zf), walk,
                            SceneClass.SIDEWALK)
            if self.style.sidewalk_bricks:
                self._paint_bricks(x0, x1, walk * 0.7)
        curb = self.color('curb', 4)
        for x0, x1 in ((rl - c, rl), (rr, rr + c)):
            cv.fill_polygon(cam.ground_quad(x0, x1, zn, zf), curb,
                            SceneClass.CURB)
        cv.fill_polygon(cam.ground_quad(rl, rr, zn, zf), self.color('road'),
                        SceneClass.ROAD)
        for _ in range(int(rng.integers(0, 3))):  # tarmac patches
            x0 = rng.uniform(rl, rr - 1)
            z0 = rng.uniform(cam.z_bottom, 30)
            cv.fill_polygon(
                cam.ground_quad(x0, x0 + rng.uniform(0.5, 2.5), z0,
                                z0 + rng.uniform(1, 4)),
                self.color('road', 3) * rng.uniform(0.8, 1.2), SceneClass.ROAD)
        self._paint_markings()

    def _paint_bricks(self, x0, x1, color):
        cam, cv = self.cam, self.canvas
        for z in np.arange(self.z_near, 80.0, 0.7):
            if cam.ppm(z) * 0.7 < 2.5:
                break
            u0, v = cam.project(x0, z)
            u1, _ = cam.project(x1, z)
            cv.paint(cv.line_mask((u0, v), (u1, v), 1), color, None)

    def _paint_markings(self):
        cam, cv, rng = self.cam, self.canvas, self.rng
        rl, rr = self.road_left, self.road_right
        mark = self.color('marking', 6)
        lw = 0.15
        z0 = self.z_near
        if rng.random() < 0.55:
            zc = rng.uniform(cam.z_bottom + 1.0, 22.0)
            self.crosswalk = (zc, zc + 4.0)
        skip = ((self.crosswalk[0] - 1.2,
                 self.crosswalk[1] + 1.0) if self.crosswalk else (0.0, 0.0))
        if rng.random() < 0.7:  # solid edge lines
            for x in (rl + 0.25, rr - 0.25):
                for za, zb in ((z0, skip[0]), (skip[1], self.z_far)):
                    if zb > za:
                        cv.fill_polygon(
                            cam.ground_quad(x - lw / 2, x + lw / 2, za, zb),
                            mark, SceneClass.LANE_MARKING)
        phase = rng.uniform(0, 9)
        for k in range(1, self.lanes):
            x = rr - 3.3 * k
            if k == self.lanes // 2 and rng.random() < 0.3:
                dashes = [(z0, self.z_far)]  # solid centre line
            else:
                starts = np.arange(z0 - phase, 90.0, 9.0)
                dashes = [(max(s, z0), s + 3.0) for s in starts if s + 3 > z0]
            for za, zb in dashes:
                if zb < skip[0] or za > skip[1]:
                    cv.fill_polygon(
                        cam.ground_quad(x - lw / 2, x + lw / 2, za, zb), mark,
                        SceneClass.LANE_MARKING)
                else:  # interrupted by the crosswalk
                    for a, b in ((za, skip[0]), (skip[1], zb)):
                        if b > a:
                            cv.fill_polygon(
                                cam.ground_quad(x - lw / 2, x + lw / 2, a, b),
                                mark, SceneClass.LANE_MARKING)
        if self.crosswalk:
            za, zb = self.crosswalk
            cv.fill_polygon(cam.ground_quad(rl, rr, za - 1.0, za - 0.6), mark,
                            SceneClass.LANE_MARKING)  # stop line
            for xs in np.arange(rl + 0.3, rr - 0.4, 1.0):
                cv.fill_polygon(cam.ground_quad(xs, xs + 0.5, za, zb), mark,
                                SceneClass.CROSSWALK)

    def paint_facades(self):
        cam, cv, rng = self.cam, self.canvas, self.rng
        wall_z = rng.uniform(70, 160) if rng.random() < 0.6 else None
        z_end = wall_z if wall_z else 160.0
        for x in (self.facade_left, self.facade_right):
            if rng.random() > self.style.building_prob:
                self._paint_tree_line(x, z_end)
                continue
            z = self.z_near * 0.5
            while z < z_end:
                length = rng.uniform(8, 25)
                if rng.random() < 0.2:
                    z += rng.uniform(3, 10)
                    continue
                z1 = min(z + length, z_end)
                height = rng.uniform(7, 24)
                color = self.color('building')
                cv.fill_polygon(cam.facade_quad(x, z, z1, 0, height), color,
                                SceneClass.BUILDING)
                self._paint_windows(x, z, z1, height, color)
                z = z1
        if wall_z:
            hw = rng.uniform(10, 25)
            u0, v0 = cam.project(self.facade_left, wall_z, hw)
            u1, v1 = cam.project(self.facade_right, wall_z, 0)
            cv.fill_rect(u0, v0, u1, v1, self.color('building'),
                         SceneClass.BUILDING)
        else:
            self._paint_tree_line(None, 200.0)

    def _paint_windows(self, x, z0, z1, height, facade_color):
        """Window grid of one facade, all quads rasterised in one call per
        colour (dark, or dark and lit at dusk)."""
        cam, cv, rng = self.cam, self.canvas, self.rng
        zz = np.arange(z0 + 1.0, z1 - 1.4, 2.6)
        # Far windows shrink below a pixel: stop where they would vanish.
        visible = (abs(x) * cam.f *
                   (1 / zz - 1 /
                    (zz + 1.3)) >= 1.2) & (1.6 * cam.ppm(zz) >= 1.5)
        zz = zz[np.cumprod(visible).astype(bool)]
        hh = np.arange(1.2, height - 1.8, 3.0)
        if not len(zz) or not len(hh):
            return
        za, ha = [a.ravel() for a in np.meshgrid(zz, hh)]
        zs = np.stack([za, za, za + 1.3, za + 1.3], axis=1)
        hs = np.stack([ha, ha + 1.6, ha + 1.6, ha], axis=1)
        quads = np.stack(cam.project(np.full(zs.shape, x), zs, hs), axis=-1)
        base = self.color('window', 5)
        lit = (rng.random(len(quads)) < 0.5) if self.style.lit_windows \
            else np.zeros(len(quads), bool)
        for sel, color in ((~lit, base), (lit,
                                          0.5 * facade_color + 0.3 * base)):
            if sel.any():
                cv.fill_polygon(quads[sel], color, SceneClass.BUILDING)

    def _paint_tree_line(self, x, z_end):
        """Distant trees along a side (x) or across the street end (None)."""
        cam, cv, rng = self.cam, self.canvas, self.rng
        if x is None:
            xs = rng.uniform(self.facade_left, self.facade_right, 8)
            zs = np.full(8, z_end)
        else:
            zs = np.sort(rng.uniform(self.z_near, z_end, 14))
            xs = np.full(14, x)
        for xi, zi in zip(xs, zs):
            r = rng.uniform(2.0, 4.0)
            u, v = cam.project(xi, zi, rng.uniform(2.5, 5.0))
            p = cam.ppm(zi)
            cv.paint(cv.ellipse_mask(u, v, r * p, r * p * 1.2),
                     self.color('vegetation'), SceneClass.VEGETATION)

    # -------------------------------------------------------------- objects
    def plan_objects(self, num_signs, sign_px, class_ids=None):
        """Return a list of ``(z, callable)`` drawn far to near."""
        rng, cam = self.rng, self.cam
        rl, rr = self.road_left, self.road_right
        zb = cam.z_bottom
        objs = []
        for _ in range(int(rng.integers(0, 5))):  # cars
            if rng.random() < 0.3:  # parked along a curb
                x = rl + 1.1 if rng.random() < 0.5 else rr - 1.1
            else:
                x = rr - 1.65 - 3.3 * rng.integers(0, self.lanes)
            z = rng.uniform(zb + 1.5, 60)
            objs.append((z, self._car, dict(x=x, z=z)))
        for _ in range(int(rng.integers(0, 6))):  # pedestrians
            if self.crosswalk and rng.random() < 0.3:
                x = rng.uniform(rl, rr)
                z = rng.uniform(*self.crosswalk)
            else:
                left = rng.random() < 0.5
                side = (rl - self.curb - self.sidewalk[0], rl - self.curb) \
                    if left else (rr + self.curb, rr + self.curb +
                                  self.sidewalk[1])
                x = rng.uniform(*side)
                z = rng.uniform(zb + 0.5, 40)
            objs.append((z, self._person, dict(x=x, z=z)))
        for _ in range(int(rng.integers(0, 3))):  # riders
            x = rr - rng.uniform(
                0.6, 1.5) - 3.3 * rng.integers(0, max(self.lanes - 1, 1))
            z = rng.uniform(zb + 1.0, 35)
            objs.append((z, self._rider,
                         dict(x=x, z=z, motorcycle=bool(rng.random() < 0.4))))
        for _ in range(int(rng.integers(0, 6))):  # street trees
            left = rng.random() < 0.5
            x = (self.facade_left + 0.8) if left else (self.facade_right - 0.8)
            z = rng.uniform(zb, 80)
            objs.append((z, self._tree, dict(x=x, z=z)))
        for _ in range(int(rng.integers(0, 3))):  # poles without signs
            left = rng.random() < 0.5
            x = (rl - self.curb - 0.4) if left else (rr + self.curb + 0.4)
            z = rng.uniform(zb, 60)
            objs.append((z, self._pole, dict(x=x, z=z, signs=())))
        n = int(rng.integers(num_signs[0], num_signs[1] + 1))
        queue = None
        if class_ids is not None:
            queue = list(class_ids)
            n = len(queue)  # at most one pole per requested face
        for _ in range(n):
            if queue is not None and not queue:
                break
            placed = self._place_sign(sign_px, queue)
            if placed is not None:
                objs.append(placed)
        objs.sort(key=lambda o: -o[0])
        return objs

    def _place_sign(self, sign_px, class_queue=None):
        """Sample a sign pole whose face lies fully inside the image and
        overlaps no other sign.

        Args:
            sign_px (tuple[float, float], optional): Face size range in
                pixels; the face is then always a front (GTSDB). None sizes
                faces by :attr:`SceneStyle.sign_px` (pixels per 256 image
                columns) and shows the back of some (street scenes).
            class_queue (list[int], optional): GTSDB classes to use, taken
                from the front (one per face); random classes if None.
        """
        rng, cam = self.rng, self.cam
        rl, rr, c = self.road_left, self.road_right, self.curb
        w, h = cam.width, cam.height
        gtsdb = sign_px is not None
        px_range = sign_px if gtsdb else tuple(
            p * w / 256.0 for p in self.style.sign_px)
        for _ in range(60):
            right = rng.random() < 0.75
            size_m = rng.uniform(*self.style.sign_height)
            z = size_m * cam.f / rng.uniform(*px_range)
            side = (rr + c + 0.2, rr + c + self.sidewalk[1] - 0.2) if right \
                else (rl - c - self.sidewalk[0] + 0.2, rl - c - 0.2)
            x = rng.uniform(*side)
            bottom = rng.uniform(2.0, 2.8)
            stacked = rng.random() < 0.2 and (class_queue is None
                                              or len(class_queue) >= 2)
            ppm = cam.ppm(z)
            u, _ = cam.project(x, z)
            top_h = bottom + size_m * (2.1 if stacked else 1.0)
            _, v_top = cam.project(x, z, top_h)
            size_px = size_m * ppm
            rect = (u - size_px / 2 - 2, v_top - 2, u + size_px / 2 + 2,
                    cam.project(x, z, bottom)[1] + 2)
            inside = (rect[0] >= 0 and rect[2] <= w - 1 and rect[1] >= 0
                      and rect[3] <= h - 1)
            overlaps = any(rect[0] < o[2] and o[0] < rect[2]
                           and rect[1] < o[3] and o[1] < rect[3]
                           for o in self.sign_rects)
            if not inside or overlaps:
                continue
            self.sign_rects.append(rect)
            front_p = 0.92 if right else 0.4
            signs = []
            for k in range(2 if stacked else 1):
                centre_h = bottom + size_m * (0.5 + 1.1 * k)
                class_id = class_queue.pop(0) if class_queue else int(
                    rng.integers(NUM_GTSDB_CLASSES))
                signs.append(
                    dict(class_id=class_id,
                         centre_h=centre_h,
                         size_m=size_m,
                         front=bool(gtsdb or rng.random() < front_p)))
            return (z, self._pole,
                    dict(x=x, z=z, signs=tuple(signs), top_h=top_h + 0.1))
        return None

    def _car(self, x, z):
        cam, cv, rng = self.cam, self.canvas, self.rng
        p = cam.ppm(z)
        u, v = cam.project(x, z)
        body = self.color('car')
        dark = self.color('tire', 3)
        wd = 1.8 * p
        for dx in (-0.68, 0.68):  # wheels
            cv.fill_rect(u + (dx - 0.15) * p, v - 0.45 * p,
                         u + (dx + 0.15) * p, v, dark, SceneClass.CAR)
        cv.fill_rect(u - wd / 2, v - 1.0 * p, u + wd / 2, v - 0.25 * p, body,
                     SceneClass.CAR)
        cv.fill_rect(u - wd / 2, v - 0.42 * p, u + wd / 2, v - 0.25 * p,
                     body * 0.6, SceneClass.CAR)  # bumper
        cab = np.array([[u - 0.8 * p, v - 1.0 * p],
                        [u + 0.8 * p, v - 1.0 * p],
                        [u + 0.6 * p, v - 1.5 * p],
                        [u - 0.6 * p, v - 1.5 * p]])
        cv.fill_polygon(cab, body, SceneClass.CAR)
        glass = np.array([[u - 0.68 * p, v - 1.04 * p],
                          [u + 0.68 * p, v - 1.04 * p],
                          [u + 0.54 * p, v - 1.44 * p],
                          [u - 0.54 * p, v - 1.44 * p]])
        cv.fill_polygon(glass, self.color('glass', 5), SceneClass.CAR)
        red = _jitter(rng, (200, 30, 30), 10)
        for dx in (-0.9, 0.72):
            cv.fill_rect(u + dx * p, v - 0.9 * p, u + (dx + 0.18) * p,
                         v - 0.75 * p, red, SceneClass.CAR)
        cv.fill_rect(u - 0.25 * p, v - 0.65 * p, u + 0.25 * p, v - 0.52 * p,
                     (225, 225, 225), SceneClass.CAR)  # plate

    def _human(self, u, v, p, label, height, legs_apart=True):
        """A standing human (legs, torso, arms, head) with feet at (u, v)."""
        cv, rng = self.canvas, self.rng
        upper, lower = self.color('clothes'), self.color('clothes')
        skin = self.color('skin', 5)
        leg_len = 0.47 * height
        spread = rng.uniform(0.0, 0.12) if legs_apart else 0.0
        for dx in (-1, 1):
            cx = u + dx * (0.08 + spread) * p
            cv.fill_rect(cx - 0.075 * p, v - leg_len * p, cx + 0.075 * p, v,
                         lower, label)
            cv.fill_rect(cx - 0.08 * p, v - 0.06 * p, cx + 0.1 * p, v,
                         (30, 28, 28), label)  # shoes
        t0, t1 = leg_len, 0.82 * height
        torso = np.array([[u - 0.19 * p,
                           v - t0 * p], [u + 0.19 * p, v - t0 * p],
                          [u + 0.23 * p, v - t1 * p],
                          [u - 0.23 * p, v - t1 * p]])
        cv.fill_polygon(torso, upper, label)
        for dx in (-1, 1):
            ax = u + dx * 0.28 * p
            cv.fill_rect(ax - 0.05 * p, v - t1 * p, ax + 0.05 * p,
                         v - (t0 - 0.05) * p, upper * 0.9, label)
        hy = v - 0.91 * height * p
        cv.paint(cv.ellipse_mask(u, hy, 0.09 * p, 0.115 * p), skin, label)
        cv.paint(cv.ellipse_mask(u, hy - 0.05 * p, 0.095 * p, 0.07 * p),
                 self.color('clothes', 20) * 0.5, label)  # hair

    def _person(self, x, z):
        p = self.cam.ppm(z)
        u, v = self.cam.project(x, z)
        self._human(u, v, p, SceneClass.PERSON, self.rng.uniform(1.6, 1.9))

    def _rider(self, x, z, motorcycle):
        cam, cv, rng = self.cam, self.canvas, self.rng
        p = cam.ppm(z)
        u, v = cam.project(x, z)
        d = 1.0 if rng.random() < 0.5 else -1.0  # riding direction
        tire = self.color('tire', 3)
        if motorcycle:
            vehicle = SceneClass.MOTORCYCLE
            rider_label = SceneClass.MOTORCYCLIST
            base, r = 0.7, 0.32
            for dx in (-base, base):
                cv.paint(cv.ellipse_mask(u + dx * p, v - r * p, r * p, r * p),
                         tire, vehicle)
            body = np.array([[u - 0.75 * d * p, v - 0.55 * p],
                             [u + 0.65 * d * p, v - 0.5 * p],
                             [u + 0.5 * d * p, v - 0.95 * p],
                             [u - 0.6 * d * p, v - 0.85 * p]])
            cv.fill_polygon(body, self.color('motorcycle'), vehicle)
            seat_h, hand = 0.9, (u + 0.5 * d * p, v - 1.05 * p)
        else:
            vehicle = SceneClass.BICYCLE
            rider_label = SceneClass.BICYCLIST
            base, r = 0.52, 0.34
            frame = self.color('bicycle')
            for dx in (-base, base):
                cv.paint(
                    cv.ring_mask(u + dx * p, v - r * p, r * p,
                                 max(0.05 * p, 1)), tire, vehicle)
            rear = (u - base * d * p, v - r * p)
            front = (u + base * d * p, v - r * p)
            crank = (u, v - 0.3 * p)
            seat = (u - 0.18 * d * p, v - 0.9 * p)
            hand = (u + 0.4 * d * p, v - 0.98 * p)
            t = max(0.04 * p, 1)
            for a, b in ((rear, crank), (crank, seat), (seat, rear),
                         (crank, hand), (hand, front), (seat, hand)):
                cv.paint(cv.line_mask(a, b, t), frame, vehicle)
            seat_h = 0.95
        # The rider: leg to the crank, torso leaning forward, arm, head.
        upper, lower = self.color('clothes'), self.color('clothes')
        hip = (u - 0.15 * d * p, v - seat_h * p)
        shoulder = (u + 0.12 * d * p, v - (seat_h + 0.55) * p)
        cv.paint(cv.line_mask(hip, (u, v - 0.3 * p), 0.15 * p), lower,
                 rider_label)
        cv.paint(cv.line_mask(hip, shoulder, 0.32 * p), upper, rider_label)
        cv.paint(cv.line_mask(shoulder, hand, 0.1 * p), upper * 0.9,
                 rider_label)
        head = self.color('clothes', 25) if motorcycle else self.color(
            'skin', 5)
        cv.paint(
            cv.ellipse_mask(shoulder[0] + 0.06 * d * p, shoulder[1] - 0.17 * p,
                            0.11 * p, 0.13 * p), head, rider_label)

    def _tree(self, x, z):
        cam, cv, rng = self.cam, self.canvas, self.rng
        p = cam.ppm(z)
        u, v = cam.project(x, z)
        cv.fill_rect(u - 0.15 * p, v - 3.0 * p, u + 0.15 * p, v,
                     self.color('trunk', 6), SceneClass.VEGETATION)
        ch = rng.uniform(3.5, 5.0)
        for _ in range(int(rng.integers(3, 7))):
            r = rng.uniform(0.8, 1.6)
            cv.paint(
                cv.ellipse_mask(u + rng.uniform(-1, 1) * p,
                                v - (ch + rng.uniform(-0.8, 0.8)) * p, r * p,
                                r * p * rng.uniform(0.8, 1.1)),
                self.color('vegetation'), SceneClass.VEGETATION)

    def _pole(self, x, z, signs, top_h=None):
        cam, cv, rng = self.cam, self.canvas, self.rng
        p = cam.ppm(z)
        u, v = cam.project(x, z)
        top_h = rng.uniform(3.0, 6.0) if top_h is None else top_h
        w = max(0.1 * p, 1.0)
        cv.fill_rect(u - w / 2, v - top_h * p, u + w / 2, v,
                     self.color('pole', 6), SceneClass.POLE)
        for sign in signs:
            _, cy = cam.project(x, z, sign['centre_h'])
            args = (u, cy, sign['size_m'] * p, sign['class_id'], sign['front'])
            if self.deferred_signs is not None:
                self.deferred_signs.append(args)
            else:
                self._draw_sign(*args)

    def _draw_sign(self, cx, cy, size, class_id, front):
        instance = self.next_instance
        self.next_instance += 1
        if front:
            self.front_signs.append((instance, class_id))
        draw_sign(self.canvas,
                  cx,
                  cy,
                  size,
                  class_id,
                  front,
                  instance,
                  back_color=self.color('sign_back', 5),
                  shade=self.rng.uniform(0.8, 1.1))

    def paint_ego(self):
        cv, h, w = self.canvas, self.canvas.height, self.canvas.width
        rng = self.rng
        cy = h * (1.0 + rng.uniform(0.0, 0.08))
        cv.paint(
            cv.ellipse_mask(w * rng.uniform(0.45, 0.55), cy,
                            w * rng.uniform(0.6, 0.8),
                            h * rng.uniform(0.1, 0.16)), self.color('ego', 4),
            SceneClass.EGO_VEHICLE)

    def render(self, num_signs, sign_px, signs_on_top,
               class_ids=None) -> StreetScene:
        self.deferred_signs = [] if signs_on_top else None
        self.paint_sky()
        self.paint_ground()
        self.paint_facades()
        for _, draw, kwargs in self.plan_objects(num_signs, sign_px,
                                                 class_ids):
            draw(**kwargs)
        for args in self.deferred_signs or ():
            self._draw_sign(*args)
        if self.rng.random() < self.style.ego_prob:
            self.paint_ego()
        texture = np.full(NUM_SCENE_CLASSES, _DEFAULT_TEXTURE, np.float32)
        for key, cls in _TEXTURE_CLASSES.items():
            texture[cls] = self.style.texture.get(key, _DEFAULT_TEXTURE)
        roll = self.rng.uniform(-1, 1) * self.style.roll_deg
        cv = self.canvas
        image = cv.finish(self.rng, self.style, texture, roll)
        boxes = []
        for instance, class_id in self.front_signs:
            ys, xs = np.nonzero(cv.instance == instance)
            if len(xs):
                boxes.append((int(xs.min()), int(ys.min()), int(xs.max()),
                              int(ys.max()), int(class_id)))
        return StreetScene(image, cv.label, cv.sign, boxes)


def render_street_scene(rng: np.random.Generator,
                        width: int,
                        height: int,
                        style: SceneStyle,
                        num_signs: Tuple[int, int] = (1, 3),
                        sign_px: Optional[Tuple[float, float]] = None,
                        signs_on_top: bool = False,
                        class_ids: Optional[Sequence[int]] = None
                        ) -> StreetScene:
    """Render one street scene with pixel-aligned labels.

    Args:
        rng (np.random.Generator): The image's own generator (determinism).
        width, height (int): Image size in pixels.
        style (SceneStyle): Visual domain.
        num_signs (tuple[int, int]): Inclusive range of sign poles (each
            pole is placed with a face fully inside the image if one of 60
            draws fits, so a crowded image may get fewer).
        sign_px (tuple[float, float], optional): If given, sign faces are
            sized to this pixel range and are all fronts (GTSDB); otherwise
            their size is drawn from ``style.sign_px`` (pixels per 256 image
            columns) and left-side signs often show their back.
        signs_on_top (bool): Paint signs after all other objects so nothing
            occludes them (GTSDB boxes stay tight around the whole sign).
        class_ids (Sequence[int], optional): GTSDB classes of the sign faces,
            in order (one pole per face or two stacked faces per pole; faces
            that find no free place are dropped); overrides ``num_signs``.
            Random classes if None.
    """
    painter = _ScenePainter(rng, width, height, style)
    return painter.render(num_signs, sign_px, signs_on_top, class_ids)
