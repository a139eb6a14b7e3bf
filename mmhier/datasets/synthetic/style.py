# Copyright (c) mmhier contributors. All rights reserved.
"""Visual domains of the synthetic street scenes.

A :class:`SceneStyle` holds everything that makes one synthetic "camera /
city" look different from another while the scene *structure* (what can be
where, and how it is labelled) stays the same: colour palettes, camera
height and pitch (horizon row), lighting, noise and textures. The datasets
differ as the real ones do: Cityscapes is one car-mounted camera in German
cities under overcast light, Mapillary Vistas is many cameras world-wide
(varied sizes, horizons, roll, palettes), GTSDB is a German dash camera with
larger signs, and ``cityscapes_target`` is a different domain (dusk light,
warm southern palette, brick sidewalks, higher camera) for domain
adaptation.
"""
from dataclasses import dataclass, field, replace
from typing import Dict, Tuple

RGB = Tuple[int, int, int]


@dataclass(frozen=True)
class SceneStyle:
    """Appearance and camera parameters of one synthetic street domain.

    Ranges are ``(low, high)`` of a uniform draw per image.

    Args:
        name (str): Domain name (for error messages and docs).
        colors (dict[str, RGB | tuple[RGB, ...]]): Base colours of scene
            parts; a tuple of colours means "one of these per instance".
        horizon (tuple[float, float]): Horizon row as a fraction of height.
        camera_height (tuple[float, float]): Camera height above ground (m).
        focal (tuple[float, float]): Focal length as a fraction of width.
        roll_deg (float): Maximum absolute camera roll in degrees.
        gain (tuple[float, float]): Global brightness multiplier.
        tint (tuple[float, float, float]): Per-channel RGB multiplier.
        gamma (float): Output gamma (>1 darkens mid tones).
        noise_sigma (float): Std of additive per-pixel Gaussian noise.
        color_jitter (float): Std of per-instance colour jitter.
        sidewalk_bricks (bool): Draw a brick pattern on sidewalks.
        lit_windows (bool): Windows are bright (dusk) instead of dark.
        ego_prob (float): Probability that the ego-vehicle hood is visible.
        sign_height (tuple[float, float]): Physical sign face size (m).
        sign_px (tuple[float, float]): Sign face size in pixels per 256
            image columns in the street scenes (the sign's distance follows
            from it). Larger than real signs scaled down to 256 px would be,
            so that signs are a well-represented class at this resolution,
            as they are in the real full-resolution images.
        building_prob (float): Probability of a facade on each side.
    """
    name: str
    colors: Dict[str, object]
    horizon: Tuple[float, float] = (0.42, 0.52)
    camera_height: Tuple[float, float] = (1.3, 1.7)
    focal: Tuple[float, float] = (0.9, 1.1)
    roll_deg: float = 0.0
    gain: Tuple[float, float] = (0.9, 1.1)
    tint: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    gamma: float = 1.0
    noise_sigma: float = 4.0
    color_jitter: float = 10.0
    sidewalk_bricks: bool = False
    lit_windows: bool = False
    ego_prob: float = 0.0
    sign_height: Tuple[float, float] = (0.6, 0.8)
    sign_px: Tuple[float, float] = (14.0, 34.0)
    building_prob: float = 0.95
    texture: Dict[str, float] = field(default_factory=dict)


_DEFAULT_TEXTURE = dict(road=0.10,
                        sidewalk=0.08,
                        curb=0.05,
                        terrain=0.18,
                        vegetation=0.28,
                        building=0.05,
                        sky=0.015)

_CITYSCAPES_COLORS = dict(
    sky_top=(140, 170, 205),
    sky_horizon=(205, 212, 222),
    building=((120, 110, 100), (150, 140, 125), (172, 162, 150),
              (110, 105, 112), (160, 122, 100), (135, 128, 120)),
    window=(55, 65, 80),
    vegetation=((55, 90, 38), (75, 110, 45), (95, 130, 55)),
    trunk=(80, 60, 40),
    terrain=(120, 140, 80),
    road=(82, 82, 88),
    marking=(222, 222, 215),
    sidewalk=(150, 140, 142),
    curb=(178, 178, 172),
    pole=(118, 120, 126),
    sign_back=(165, 165, 170),
    car=((30, 30, 35), (200, 200, 205), (125, 22, 28), (40, 60, 112),
         (150, 150, 155), (62, 72, 62)),
    glass=(40, 48, 60),
    tire=(22, 22, 22),
    skin=((225, 185, 160), (200, 150, 120), (140, 95, 70)),
    clothes=((30, 30, 40), (62, 62, 72), (122, 30, 40), (40, 60, 122),
             (182, 172, 150), (90, 110, 60), (200, 200, 200)),
    bicycle=((40, 40, 45), (20, 90, 150), (150, 30, 30)),
    motorcycle=((160, 20, 20), (30, 30, 30), (200, 200, 200)),
    ego=(35, 38, 45),
)

#: Cityscapes: one car-mounted camera, overcast German cities, ego hood.
CITYSCAPES_STYLE = SceneStyle(name='cityscapes',
                              colors=_CITYSCAPES_COLORS,
                              ego_prob=0.7,
                              texture=_DEFAULT_TEXTURE)

#: GTSDB: a car camera on German roads, like Cityscapes (Houben et al.,
#: "Detection of Traffic Signs in Real-World Images: The German Traffic Sign
#: Detection Benchmark", IJCNN 2013): the same kind of street, the same
#: physical signs on the same poles, mixed urban / rural scenes (fewer
#: facades than Cityscapes' city centres), a camera mounted behind the
#: windscreen (no hood in the frame) and another exposure range.
GTSDB_STYLE = replace(CITYSCAPES_STYLE,
                      name='gtsdb',
                      ego_prob=0.0,
                      horizon=(0.38, 0.50),
                      building_prob=0.85,
                      gain=(0.8, 1.2))

#: Mapillary Vistas: many cameras world-wide: brighter skies, colourful
#: facades, varied horizon / camera height / roll.
VISTAS_STYLE = SceneStyle(name='mapillary_vistas',
                          colors=dict(
                              _CITYSCAPES_COLORS,
                              sky_top=(95, 150, 225),
                              sky_horizon=(195, 215, 240),
                              building=((190, 180, 160), (200, 120, 90),
                                        (120, 140, 170), (230, 225, 210),
                                        (150, 100, 80), (100, 95,
                                                         90), (180, 190, 140)),
                              road=(98, 96, 100),
                              sidewalk=(165, 158, 150),
                              vegetation=((50, 110, 40), (70, 130, 50),
                                          (100, 150, 60)),
                          ),
                          horizon=(0.36, 0.58),
                          camera_height=(1.2, 2.6),
                          focal=(0.75, 1.2),
                          roll_deg=4.0,
                          gain=(0.8, 1.2),
                          noise_sigma=5.0,
                          color_jitter=16.0,
                          ego_prob=0.15,
                          texture=_DEFAULT_TEXTURE)

#: Domain-adaptation target: dusk light, warm palette, lit windows, yellow
#: markings, brick sidewalks, higher camera.
CITYSCAPES_TARGET_STYLE = SceneStyle(
    name='cityscapes_target',
    colors=dict(
        _CITYSCAPES_COLORS,
        sky_top=(60, 50, 112),
        sky_horizon=(232, 142, 92),
        building=((200, 170, 120), (212, 142, 100), (182, 190, 170),
                  (230, 210, 172), (170, 120, 95)),
        window=(240, 210, 120),
        vegetation=((40, 72, 58), (55, 90, 66), (70, 100, 60)),
        terrain=(152, 122, 72),
        road=(56, 50, 62),
        marking=(232, 206, 110),
        sidewalk=(172, 120, 108),
        curb=(202, 192, 180),
        car=((200, 60, 40), (230, 230, 220), (20, 20, 25), (60, 120, 90),
             (220, 180, 60)),
    ),
    horizon=(0.34, 0.44),
    camera_height=(2.2, 2.6),
    focal=(0.8, 0.9),
    gain=(0.7, 0.85),
    tint=(1.1, 0.95, 0.85),
    gamma=1.15,
    noise_sigma=7.0,
    sidewalk_bricks=True,
    lit_windows=True,
    ego_prob=0.0,
    texture=dict(_DEFAULT_TEXTURE, road=0.16, building=0.09))
