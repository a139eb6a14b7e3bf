# Copyright (c) mmhier contributors. All rights reserved.
"""The generator's own fine-grained scene classes.

The painter labels every pixel with one :class:`SceneClass`; each dataset
writer then maps these to its real label space (Cityscapes labelIds, Vistas
v1.2 ids). The scene classes are the *union* of what the datasets tell
apart, which is what produces the real label conflicts: Cityscapes folds
``LANE_MARKING`` / ``CROSSWALK`` into ``road``, ``BICYCLIST`` /
``MOTORCYCLIST`` into ``rider``, ``CURB`` into ``sidewalk`` and both sign
faces into ``traffic sign``, while Vistas keeps them apart.
"""
from enum import IntEnum
from typing import Dict

import numpy as np


class SceneClass(IntEnum):
    """Fine-grained classes painted by the synthetic street-scene renderer."""
    UNLABELED = 0
    EGO_VEHICLE = 1
    SKY = 2
    BUILDING = 3
    VEGETATION = 4
    TERRAIN = 5
    ROAD = 6
    LANE_MARKING = 7
    CROSSWALK = 8
    SIDEWALK = 9
    CURB = 10
    POLE = 11
    SIGN_FRONT = 12
    SIGN_BACK = 13
    CAR = 14
    PERSON = 15
    BICYCLIST = 16
    MOTORCYCLIST = 17
    BICYCLE = 18
    MOTORCYCLE = 19


NUM_SCENE_CLASSES = len(SceneClass)


def scene_class_lut(names: Dict['SceneClass', str],
                    name_to_id: Dict[str, int]) -> np.ndarray:
    """Lookup table ``SceneClass -> label id`` of one dataset.

    Args:
        names (dict): The dataset's class name for every scene class.
        name_to_id (dict): The dataset's label id of each class name.

    Returns:
        np.ndarray: ``uint8`` array of length ``NUM_SCENE_CLASSES``; index a
        scene label map with it to get the dataset's label map.
    """
    missing = [c.name for c in SceneClass if c not in names]
    if missing:
        raise ValueError(f'no dataset class for scene classes {missing}')
    return np.array([name_to_id[names[c]] for c in SceneClass], np.uint8)
