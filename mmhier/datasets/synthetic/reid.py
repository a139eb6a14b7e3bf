# Copyright (c) mmhier contributors. All rights reserved.
"""Synthetic person re-identification domains in the Market-1501 layout.

Layout and names (as the real Market-1501 release)::

    bounding_box_train/PPPP_cCsS_FFFFFF_NN.jpg
    bounding_box_test/ PPPP_cCsS_FFFFFF_NN.jpg   (+ 0000_* junk, -1_* others)
    query/             PPPP_cCsS_FFFFFF_NN.jpg   (one per identity and camera)

``PPPP`` is the identity, ``C`` the camera, ``S`` the sequence, ``FFFFFF``
the frame and ``NN`` the detection box of that frame. Market marks bad
detections as junk (identity ``0000``, ignored by the metric) and
detections of people outside the benchmark as distractors (``-1``).

A person is head / torso / arms / legs / shoes (+ hair and a bag) whose
colours and patterns are the *identity*; pose, view side, scale, position,
background, camera colour cast and noise vary per image. The two domains
differ like Market (summer, bright clothes, warm pavement) and DukeMTMC
(winter, dark coats, cold light, snow) do.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Tuple

import cv2
import numpy as np

from .io import write_jpg

REID_SIZE = (64, 128)  # (W, H)
PATTERNS = ('solid', 'hstripes', 'vstripes', 'split', 'logo')
BAGS = ('none', 'backpack', 'handbag')


@dataclass(frozen=True)
class ReIDStyle:
    """Appearance of one re-ID domain.

    Args:
        name (str): Domain name.
        num_cams (int): Number of cameras (1..9, one digit as in Market).
        clothes (tuple): RGB colours clothing is drawn from.
        pattern_probs (tuple): Probabilities of :data:`PATTERNS`.
        coat_prob (float): Probability of a long coat (longer torso).
        short_sleeve_prob (float): Probability of short sleeves.
        lower_kinds (tuple): Probabilities of trousers / shorts / skirt.
        wall (tuple): Background colours of the upper scene.
        ground (tuple): Ground colours.
        gain (tuple[float, float]): Per-image brightness range.
        cast (float): Max per-channel camera colour cast (multiplicative).
        tint (tuple): Domain-wide RGB multiplier.
        noise_sigma (float): Additive Gaussian noise std.
    """
    name: str
    num_cams: int
    clothes: Tuple
    pattern_probs: Tuple[float, ...]
    coat_prob: float
    short_sleeve_prob: float
    lower_kinds: Tuple[float, float, float]
    wall: Tuple
    ground: Tuple
    gain: Tuple[float, float]
    cast: float
    tint: Tuple[float, float, float]
    noise_sigma: float


REID_SOURCE_STYLE = ReIDStyle(
    name='reid_source',
    num_cams=6,
    clothes=((200, 30, 35), (30, 60, 170), (235, 235, 235), (25, 25, 28),
             (235, 205, 40), (40, 140, 60), (230, 120, 170), (128, 128, 128),
             (20, 30, 80), (240, 130, 30), (120, 50, 150), (120, 180, 230)),
    pattern_probs=(0.45, 0.15, 0.1, 0.15, 0.15),
    coat_prob=0.05,
    short_sleeve_prob=0.6,
    lower_kinds=(0.55, 0.3, 0.15),
    wall=((170, 160, 140), (120, 140, 100), (190, 185, 175), (150, 120, 100)),
    ground=((185, 175, 160), (160, 150, 140)),
    gain=(0.9, 1.15),
    cast=0.12,
    tint=(1.05, 1.0, 0.92),
    noise_sigma=4.0)

REID_TARGET_STYLE = ReIDStyle(
    name='reid_target',
    num_cams=8,
    clothes=((20, 20, 22), (55, 55, 60), (30, 35, 70), (95, 60, 40),
             (85, 90, 50), (110, 25, 35), (190, 175, 150), (35, 70, 50),
             (150, 150, 155), (200, 200, 205)),
    pattern_probs=(0.7, 0.05, 0.05, 0.15, 0.05),
    coat_prob=0.6,
    short_sleeve_prob=0.0,
    lower_kinds=(0.9, 0.0, 0.1),
    wall=((120, 130, 150), (90, 100, 115), (150, 155, 165), (70, 80, 80)),
    ground=((225, 230, 238), (130, 135, 140)),
    gain=(0.7, 1.0),
    cast=0.2,
    tint=(0.88, 0.96, 1.1),
    noise_sigma=6.0)

_SKIN = ((230, 190, 165), (205, 160, 130), (160, 115, 85), (110, 75, 55))
_HAIR = ((20, 18, 18), (60, 40, 25), (110, 75, 40), (200, 170, 110), (140, 140,
                                                                      140))


def sample_identity(rng: np.random.Generator, style: ReIDStyle) -> Dict:
    """Draw the appearance attributes that define one identity."""

    def color():
        c = np.asarray(style.clothes[rng.integers(len(style.clothes))], float)
        return [float(v) for v in np.clip(c + rng.normal(0, 12, 3), 0, 255)]

    upper = color()
    pattern_color = color()
    while np.abs(np.subtract(pattern_color, upper)).sum() < 90:
        pattern_color = color()
    kinds = np.asarray(style.lower_kinds, float)
    return dict(
        skin=list(_SKIN[rng.integers(len(_SKIN))]),
        hair=list(_HAIR[rng.integers(len(_HAIR))]),
        long_hair=bool(rng.random() < 0.3),
        upper=upper,
        pattern=PATTERNS[rng.choice(len(PATTERNS), p=style.pattern_probs)],
        pattern_color=pattern_color,
        coat=bool(rng.random() < style.coat_prob),
        short_sleeves=bool(rng.random() < style.short_sleeve_prob),
        lower=color(),
        lower_kind=('trousers', 'shorts',
                    'skirt')[rng.choice(3, p=kinds / kinds.sum())],
        shoes=color(),
        bag=BAGS[rng.integers(len(BAGS))],
        bag_color=color(),
        height=float(rng.uniform(0.88, 1.0)),
        width=float(rng.uniform(0.85, 1.15)),
    )


def camera_profile(rng: np.random.Generator, style: ReIDStyle) -> Dict:
    """Per-camera colour cast, background tone and viewing scale."""
    return dict(
        cast=[float(v) for v in 1.0 + rng.uniform(-style.cast, style.cast, 3)],
        wall=list(style.wall[rng.integers(len(style.wall))]),
        ground=list(style.ground[rng.integers(len(style.ground))]),
        horizon=float(rng.uniform(0.6, 0.8)),
        scale=float(rng.uniform(0.85, 1.0)),
        blur=float(rng.uniform(0.0, 0.9)),
    )


def _background(rng, cam, width, height):
    img = np.empty((height, width, 3), np.float32)
    hz = int(height * (cam['horizon'] + rng.uniform(-0.05, 0.05)))
    wall = np.asarray(cam['wall'], np.float32) * rng.uniform(0.85, 1.15)
    ground = np.asarray(cam['ground'], np.float32) * rng.uniform(0.9, 1.1)
    t = np.linspace(0.8, 1.1, hz, dtype=np.float32)[:, None, None]
    img[:hz] = wall * t
    img[hz:] = ground
    for _ in range(int(rng.integers(2, 6))):  # clutter: windows, trees, posts
        x0, y0 = rng.integers(-10, width), rng.integers(-10, hz)
        x1, y1 = x0 + rng.integers(4, 30), y0 + rng.integers(4, 40)
        shade = wall * rng.uniform(0.5, 1.4) + rng.normal(0, 20, 3)
        cv2.rectangle(img, (int(x0), int(y0)), (int(x1), int(min(y1, hz))),
                      [float(v) for v in np.clip(shade, 0, 255)], -1)
    return img


def _fill(img, pts, color):
    cv2.fillPoly(img, [np.round(np.asarray(pts)).astype(np.int32)],
                 [float(c) for c in color])


def _rect(img, x0, y0, x1, y1, color):
    _fill(img, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], color)


def draw_person(img: np.ndarray,
                ident: Dict,
                rng: np.random.Generator,
                cx: float,
                top: float,
                height: float,
                part: str = 'full') -> None:
    """Draw one person in place.

    Args:
        img (np.ndarray): ``(H, W, 3)`` float32 RGB canvas.
        ident (dict): Identity attributes from :func:`sample_identity`.
        rng: Generator for the pose / view of this image.
        cx, top, height (float): Horizontal centre, head top, body height.
        part (str): ``full``, or ``upper`` / ``lower`` to draw a fragment
            (bad detections used as junk / distractors).
    """
    view = ('front', 'back', 'side')[rng.integers(3)]
    w = 0.30 * height * ident['width'] * (0.65 if view == 'side' else 1.0)
    y = lambda f: top + f * height  # noqa: E731
    torso_end = 0.62 if ident['coat'] else 0.52
    stride = rng.uniform(0.0, 0.12) * height
    leg_w = 0.11 * height * ident['width']
    draw_lower = part in ('full', 'lower')
    draw_upper = part in ('full', 'upper')
    if draw_lower:
        hip = y(0.5)
        if ident['lower_kind'] == 'skirt':
            _fill(img, [[cx - 0.45 * w, hip], [cx + 0.45 * w, hip],
                        [cx + 0.6 * w, y(0.72)], [cx - 0.6 * w,
                                                  y(0.72)]], ident['lower'])
        for side in (-1, 1):
            foot_x = cx + side * (0.22 * w + stride / 2)
            knee = y(0.74)
            leg_top = cx + side * 0.22 * w
            color = ident['lower']
            if ident['lower_kind'] != 'trousers':
                _fill(
                    img,
                    [[leg_top - leg_w / 2, hip], [leg_top + leg_w / 2, hip],
                     [leg_top + leg_w / 2, knee], [leg_top - leg_w / 2, knee]],
                    color)
                color = ident['skin']
                upper_y = knee
            else:
                upper_y = hip
            _fill(img, [[leg_top - leg_w / 2, upper_y],
                        [leg_top + leg_w / 2, upper_y],
                        [foot_x + leg_w / 2, y(0.95)],
                        [foot_x - leg_w / 2, y(0.95)]], color)
            _rect(img, foot_x - leg_w * 0.6, y(0.95), foot_x + leg_w * 0.7,
                  y(1.0), ident['shoes'])
    if not draw_upper:
        return
    # Arms behind the torso in side view, beside it otherwise.
    arm_w = 0.07 * height
    sleeve = ident['skin'] if ident['short_sleeves'] else ident['upper']
    for side in (-1, 1):
        ax = cx + side * (0.5 * w +
                          0.4 * arm_w) * (0.3 if view == 'side' else 1.0)
        swing = rng.uniform(-0.06, 0.06) * height
        _fill(img, [[ax - arm_w / 2, y(0.17)], [ax + arm_w / 2,
                                                y(0.17)],
                    [ax + arm_w / 2 + swing, y(0.5)],
                    [ax - arm_w / 2 + swing, y(0.5)]], sleeve)
        if ident['short_sleeves']:
            _rect(img, ax - arm_w / 2, y(0.17), ax + arm_w / 2, y(0.27),
                  ident['upper'])
    if ident['bag'] == 'handbag':  # backpacks go on top of the torso
        hx = cx + (0.5 * w + arm_w)
        _rect(img, hx - 0.05 * height, y(0.45), hx + 0.06 * height, y(0.58),
              ident['bag_color'])
    torso = np.array([[cx - 0.5 * w, y(0.16)], [cx + 0.5 * w,
                                                y(0.16)],
                      [cx + 0.44 * w, y(torso_end)],
                      [cx - 0.44 * w, y(torso_end)]])
    _fill(img, torso, ident['upper'])
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(torso).astype(np.int32)], 1)
    pattern = np.zeros_like(mask)
    t0, t1 = y(0.16), y(torso_end)
    if ident['pattern'] == 'hstripes':
        for yy in np.arange(t0, t1, 0.06 * height):
            _rect(pattern, 0, yy, img.shape[1], yy + 0.03 * height, [1])
    elif ident['pattern'] == 'vstripes':
        for xx in np.arange(cx - w, cx + w, 0.1 * w + 3):
            _rect(pattern, xx, t0, xx + 0.05 * w + 1, t1, [1])
    elif ident['pattern'] == 'split':
        _rect(pattern, 0, (t0 + t1) / 2, img.shape[1], t1, [1])
    elif ident['pattern'] == 'logo' and view != 'back':
        _rect(pattern, cx - 0.18 * w, t0 + 0.25 * (t1 - t0), cx + 0.18 * w,
              t0 + 0.5 * (t1 - t0), [1])
    img[(pattern > 0) & (mask > 0)] = ident['pattern_color']
    if ident['bag'] == 'backpack':
        if view == 'back':
            _rect(img, cx - 0.38 * w, y(0.2), cx + 0.38 * w, y(0.45),
                  ident['bag_color'])
        elif view == 'side':
            _rect(img, cx - 0.75 * w, y(0.2), cx - 0.4 * w, y(0.45),
                  ident['bag_color'])
        else:  # straps
            for side in (-1, 1):
                _rect(img, cx + side * 0.3 * w - 1, y(0.16),
                      cx + side * 0.3 * w + 1, y(0.35), ident['bag_color'])
    # Head, hair.
    hr = 0.065 * height
    hy = y(0.08)
    cv2.ellipse(img, (int(round(cx)), int(round(hy))),
                (max(int(round(hr * 0.85)), 1), max(int(round(hr)), 1)), 0, 0,
                360, ident['skin'], -1)
    # Seen from behind the whole head is hair, otherwise only its top.
    start = 0 if view == 'back' else 180
    cv2.ellipse(img, (int(round(cx)), int(round(hy - 0.2 * hr))),
                (max(int(round(hr * 0.9)), 1), max(int(round(hr * 0.9)), 1)),
                0, start, 360, ident['hair'], -1)
    if ident['long_hair']:
        _rect(img, cx - 0.8 * hr, hy, cx + 0.8 * hr, y(0.22), ident['hair'])


def render_reid_image(rng: np.random.Generator,
                      ident,
                      cam: Dict,
                      style: ReIDStyle,
                      kind: str = 'person') -> np.ndarray:
    """Render one 64x128 crop.

    Args:
        rng: Generator of this image.
        ident (dict | None): Identity to draw (None for a background crop).
        cam (dict): Camera profile from :func:`camera_profile`.
        style (ReIDStyle): Domain.
        kind (str): ``person`` (a good detection), ``fragment`` (a bad
            detection showing part of the body) or ``background``.

    Returns:
        np.ndarray: ``(128, 64, 3)`` uint8 RGB.
    """
    width, height = REID_SIZE
    img = _background(rng, cam, width, height)
    if kind != 'background':
        body = height * cam['scale'] * ident['height'] * rng.uniform(0.9, 1.0)
        cx = width / 2 + rng.uniform(-4, 4)
        top = (height - body) / 2 + rng.uniform(-5, 5)
        part = 'full'
        if kind == 'fragment':
            part = ('upper', 'lower')[rng.integers(2)]
            cx += rng.uniform(-18, 18)
            top += rng.uniform(-30, 30)
        draw_person(img, ident, rng, cx, top, body, part)
    img = img * np.asarray(cam['cast'], np.float32) * np.asarray(
        style.tint, np.float32) * rng.uniform(*style.gain)
    img += rng.normal(0, style.noise_sigma, img.shape).astype(np.float32)
    sigma = cam['blur'] + rng.uniform(0, 0.3)
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return np.round(np.clip(img, 0, 255)).astype(np.uint8)


def market_name(pid: int, cam: int, seq: int, frame: int, box: int) -> str:
    """Market-1501 file name; ``pid`` -1 (distractor) and 0 (junk) are
    written as ``-1`` and ``0000`` like in the real release."""
    pid_str = '-1' if pid == -1 else f'{pid:04d}'
    return f'{pid_str}_c{cam}s{seq}_{frame:06d}_{box:02d}.jpg'


def plan_reid_domain(seed_seq: np.random.SeedSequence, style: ReIDStyle,
                     num_train_ids: int, num_test_ids: int) -> List[Dict]:
    """Decide every image of one domain (identity, camera, file name).

    Returns:
        list[dict]: Jobs with keys ``path`` (relative), ``ident``, ``cam``
        (profile), ``kind`` and ``seed`` (entropy for the image generator).
    """
    rng = np.random.default_rng(seed_seq)
    cams = [camera_profile(rng, style) for _ in range(style.num_cams)]
    pids = rng.permutation(np.arange(1, 1501))
    train_pids = np.sort(pids[:num_train_ids])
    test_pids = np.sort(pids[num_train_ids:num_train_ids + num_test_ids])
    frames = rng.integers(0, 2000, style.num_cams)
    jobs = []

    def add(folder, pid, ident, cam, kind='person'):
        frames[cam] += rng.integers(5, 60)
        name = market_name(int(pid), cam + 1, int(rng.integers(1, 7)),
                           int(frames[cam]), int(rng.integers(1, 4)))
        jobs.append(
            dict(path=osp.join(folder, name),
                 ident=ident,
                 cam=cams[cam],
                 kind=kind,
                 seed=int(rng.integers(2**62))))

    def views(pid, ident, folder, query):
        k = int(rng.integers(2, min(4, style.num_cams) + 1))
        for cam in np.sort(rng.choice(style.num_cams, k, replace=False)):
            n = int(rng.integers(2, 5))
            for i in range(n):
                add('query' if (query and i == 0) else folder, pid, ident,
                    int(cam))

    for pid in train_pids:
        views(pid, sample_identity(rng, style), 'bounding_box_train', False)
    test_idents = [sample_identity(rng, style) for _ in test_pids]
    for pid, ident in zip(test_pids, test_idents):
        views(pid, ident, 'bounding_box_test', True)
    num_gallery = sum(j['path'].startswith('bounding_box_test') for j in jobs)
    num_extra = max(1, int(round(0.08 * num_gallery)))
    for i in range(num_extra):  # junk: background or body-part crops
        kind = 'background' if i % 2 == 0 else 'fragment'
        ident = test_idents[rng.integers(len(test_idents))] \
            if test_idents else sample_identity(rng, style)
        add('bounding_box_test', 0, ident, int(rng.integers(style.num_cams)),
            kind)
    for _ in range(num_extra):  # distractors: people outside the benchmark
        add('bounding_box_test', -1, sample_identity(rng, style),
            int(rng.integers(style.num_cams)))
    return jobs


def write_reid_image(root: str, job: Dict, style: ReIDStyle) -> str:
    """Render and write one planned re-ID image; returns its path."""
    rng = np.random.default_rng(job['seed'])
    img = render_reid_image(rng, job['ident'], job['cam'], style, job['kind'])
    path = osp.join(root, job['path'])
    write_jpg(path, img)
    return path
