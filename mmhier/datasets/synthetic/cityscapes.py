# Copyright (c) mmhier contributors. All rights reserved.
"""Cityscapes-format writer (also Cityscapes Extended and the DA target).

Layout (as the real ``leftImg8bit_trainvaltest`` / ``gtFine`` release)::

    leftImg8bit/{split}/{city}/{city}_{seq:06d}_{frame:06d}_leftImg8bit.png
    gtFine/{split}/{city}/{city}_{seq:06d}_{frame:06d}_gtFine_labelIds.png
    gtFine/{split}/{city}/{city}_{seq:06d}_{frame:06d}_gtFine_labelTrainIds.png
    (Cityscapes Extended only)
    gtFine/{split}/{city}/..._gtFine_trafficSignIds.png

labelIds are the official ids 0..33 and labelTrainIds the official 19-class
train ids (255 elsewhere), as produced by ``cityscapesscripts``'
``createTrainIdLabelImgs`` (not installed here, hence the table below).
"""
import os.path as osp
from typing import Dict, Tuple

import numpy as np

from .io import write_gray_png, write_rgb_png
from .labels import SceneClass, scene_class_lut
from .scene import render_street_scene
from .style import SceneStyle

#: The official Cityscapes label table ``(name, labelId, trainId)`` from
#: ``cityscapesscripts/helpers/labels.py`` (``license plate`` has id -1 and
#: never appears in labelIds images, so it is left out).
CITYSCAPES_LABELS: Tuple[Tuple[str, int, int], ...] = (
    ('unlabeled', 0, 255),
    ('ego vehicle', 1, 255),
    ('rectification border', 2, 255),
    ('out of roi', 3, 255),
    ('static', 4, 255),
    ('dynamic', 5, 255),
    ('ground', 6, 255),
    ('road', 7, 0),
    ('sidewalk', 8, 1),
    ('parking', 9, 255),
    ('rail track', 10, 255),
    ('building', 11, 2),
    ('wall', 12, 3),
    ('fence', 13, 4),
    ('guard rail', 14, 255),
    ('bridge', 15, 255),
    ('tunnel', 16, 255),
    ('pole', 17, 5),
    ('polegroup', 18, 255),
    ('traffic light', 19, 6),
    ('traffic sign', 20, 7),
    ('vegetation', 21, 8),
    ('terrain', 22, 9),
    ('sky', 23, 10),
    ('person', 24, 11),
    ('rider', 25, 12),
    ('car', 26, 13),
    ('truck', 27, 14),
    ('bus', 28, 15),
    ('caravan', 29, 255),
    ('trailer', 30, 255),
    ('train', 31, 16),
    ('motorcycle', 32, 17),
    ('bicycle', 33, 18),
)
CITYSCAPES_NAME_TO_ID: Dict[str, int] = {n: i for n, i, _ in CITYSCAPES_LABELS}

#: ``labelId -> trainId`` lookup table over all uint8 values.
LABEL_ID_TO_TRAIN_ID = np.full(256, 255, np.uint8)
for _, _id, _train_id in CITYSCAPES_LABELS:
    LABEL_ID_TO_TRAIN_ID[_id] = _train_id

#: How Cityscapes labels each painted scene class: lane markings and
#: crosswalks are ``road``, curbs ``sidewalk``, both sign faces
#: ``traffic sign``, bicyclists and motorcyclists ``rider``.
_SCENE_TO_CITYSCAPES = {
    SceneClass.UNLABELED: 'unlabeled',
    SceneClass.EGO_VEHICLE: 'ego vehicle',
    SceneClass.SKY: 'sky',
    SceneClass.BUILDING: 'building',
    SceneClass.VEGETATION: 'vegetation',
    SceneClass.TERRAIN: 'terrain',
    SceneClass.ROAD: 'road',
    SceneClass.LANE_MARKING: 'road',
    SceneClass.CROSSWALK: 'road',
    SceneClass.SIDEWALK: 'sidewalk',
    SceneClass.CURB: 'sidewalk',
    SceneClass.POLE: 'pole',
    SceneClass.SIGN_FRONT: 'traffic sign',
    SceneClass.SIGN_BACK: 'traffic sign',
    SceneClass.CAR: 'car',
    SceneClass.PERSON: 'person',
    SceneClass.BICYCLIST: 'rider',
    SceneClass.MOTORCYCLIST: 'rider',
    SceneClass.BICYCLE: 'bicycle',
    SceneClass.MOTORCYCLE: 'motorcycle',
}
SCENE_TO_LABEL_ID = scene_class_lut(_SCENE_TO_CITYSCAPES,
                                    CITYSCAPES_NAME_TO_ID)

#: City names used for each split (real Cityscapes cities).
CITIES = dict(
    train=('aachen', 'bochum', 'bremen', 'cologne'),
    val=('frankfurt', 'lindau', 'munster'),
)
#: Cities of the domain-adaptation target (Cityscapes' extra cities).
TARGET_CITIES = dict(
    train=('bayreuth', 'dortmund', 'duisburg'),
    val=('heilbronn', 'karlsruhe'),
)


def cityscapes_stem(city: str, index: int) -> str:
    """``{city}_{seq:06d}_{frame:06d}`` (frame 19 is the annotated frame
    of a Cityscapes snippet)."""
    return f'{city}_{index:06d}_000019'


def write_cityscapes_image(root: str,
                           split: str,
                           city: str,
                           index: int,
                           seed_seq,
                           style: SceneStyle,
                           size,
                           sign_ids: bool = False,
                           num_signs=(2, 3)) -> str:
    """Render one scene and write its image and gtFine maps.

    Args:
        root (str): Dataset root (``.../cityscapes``).
        split (str): ``train`` or ``val``.
        city (str): City folder name.
        index (int): Sequence number in the file name.
        seed_seq: ``np.random.SeedSequence`` of this image.
        style (SceneStyle): Visual domain.
        size (tuple[int, int]): ``(width, height)``.
        sign_ids (bool): Also write ``*_gtFine_trafficSignIds.png``
            (Cityscapes Extended).
        num_signs (tuple[int, int]): Range of sign poles per image.

    Returns:
        str: The image path.
    """
    rng = np.random.default_rng(seed_seq)
    scene = render_street_scene(rng,
                                size[0],
                                size[1],
                                style,
                                num_signs=num_signs)
    stem = cityscapes_stem(city, index)
    img_path = osp.join(root, 'leftImg8bit', split, city,
                        f'{stem}_leftImg8bit.png')
    gt_dir = osp.join(root, 'gtFine', split, city)
    label_ids = SCENE_TO_LABEL_ID[scene.label]
    write_rgb_png(img_path, scene.image)
    write_gray_png(osp.join(gt_dir, f'{stem}_gtFine_labelIds.png'), label_ids)
    write_gray_png(osp.join(gt_dir, f'{stem}_gtFine_labelTrainIds.png'),
                   LABEL_ID_TO_TRAIN_ID[label_ids])
    if sign_ids:
        write_gray_png(osp.join(gt_dir, f'{stem}_gtFine_trafficSignIds.png'),
                       scene.sign)
    return img_path
