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
