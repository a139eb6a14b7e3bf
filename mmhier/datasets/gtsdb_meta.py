# Copyright (c) mmhier contributors. All rights reserved.
"""German Traffic Sign Detection Benchmark (GTSDB) class metadata.

The 43 classes in the official order of the GTSDB ``ReadMe.txt`` (class id =
index, the ``classId`` column of ``gt.txt``), the four super-categories the
benchmark defines (prohibitory, mandatory, danger, other), the outline shape
of each sign and its colour scheme. The synthetic data generator draws signs
from this table and the dataset / taxonomy code reads class names from it, so
it is the only place in mmhier where GTSDB class ids are written down.
"""
from typing import Dict, Tuple

GTSDB_CLASSES: Tuple[str, ...] = (
    'speed limit 20',  # 0
    'speed limit 30',  # 1
    'speed limit 50',  # 2
    'speed limit 60',  # 3
    'speed limit 70',  # 4
    'speed limit 80',  # 5
    'restriction ends 80',  # 6
    'speed limit 100',  # 7
    'speed limit 120',  # 8
    'no overtaking',  # 9
    'no overtaking (trucks)',  # 10
    'priority at next intersection',  # 11
    'priority road',  # 12
    'give way',  # 13
    'stop',  # 14
    'no traffic both ways',  # 15
    'no trucks',  # 16
    'no entry',  # 17
    'danger',  # 18
    'bend left',  # 19
    'bend right',  # 20
    'bend',  # 21
    'uneven road',  # 22
    'slippery road',  # 23
    'road narrows',  # 24
    'construction',  # 25
    'traffic signal',  # 26
    'pedestrian crossing',  # 27
    'school crossing',  # 28
    'cycles crossing',  # 29
    'snow',  # 30
    'animals',  # 31
    'restriction ends',  # 32
    'go right',  # 33
    'go left',  # 34
    'go straight',  # 35
    'go right or straight',  # 36
    'go left or straight',  # 37
    'keep right',  # 38
    'keep left',  # 39
    'roundabout',  # 40
    'restriction ends (overtaking)',  # 41
    'restriction ends (overtaking (trucks))',  # 42
)
NUM_GTSDB_CLASSES = len(GTSDB_CLASSES)

_PROHIBITORY = (0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 15, 16)
_MANDATORY = (33, 34, 35, 36, 37, 38, 39, 40)
_DANGER = (11, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)


def _category(class_id: int) -> str:
    if class_id in _PROHIBITORY:
        return 'prohibitory'
    if class_id in _MANDATORY:
        return 'mandatory'
    if class_id in _DANGER:
        return 'danger'
    return 'other'


#: GTSDB super-category of each class (the benchmark's competition groups).
GTSDB_CATEGORIES: Tuple[str, ...] = tuple(
    _category(i) for i in range(NUM_GTSDB_CLASSES))

#: The sign outlines that occur in the 43 classes.
SIGN_SHAPES = ('circle', 'triangle_up', 'triangle_down', 'octagon', 'diamond')

_SPECIAL_SHAPES = {12: 'diamond', 13: 'triangle_down', 14: 'octagon'}

#: Outline of each class: danger signs are upward triangles, give way a
#: downward triangle, stop an octagon, priority road a diamond, all others
#: (prohibitory, mandatory, end-of-restriction, no entry) are circles.
GTSDB_SHAPES: Tuple[str, ...] = tuple(
    _SPECIAL_SHAPES.get(
        i, 'triangle_up' if GTSDB_CATEGORIES[i] == 'danger' else 'circle')
    for i in range(NUM_GTSDB_CLASSES))

#: Colour schemes (RGB): ``rim`` is the outer border, ``fill`` the inner
#: area and ``glyph`` the colour of the symbol drawn on the fill.
GTSDB_COLOR_SCHEMES: Dict[str, Dict[str, Tuple[int, int, int]]] = {
    'red_rim':
    dict(rim=(200, 20, 30), fill=(235, 235, 235), glyph=(25, 25, 25)),
    'blue_disc':
    dict(rim=(235, 235, 235), fill=(20, 75, 175), glyph=(240, 240, 240)),
    'end_of_restriction':
    dict(rim=(70, 70, 70), fill=(235, 235, 235), glyph=(90, 90, 90)),
    'yellow_diamond':
    dict(rim=(240, 240, 240), fill=(245, 190, 20), glyph=(40, 40, 40)),
    'red_octagon':
    dict(rim=(240, 240, 240), fill=(195, 20, 30), glyph=(240, 240, 240)),
    'red_disc':
    dict(rim=(240, 240, 240), fill=(200, 20, 30), glyph=(240, 240, 240)),
}

_SPECIAL_SCHEMES = {
    6: 'end_of_restriction',
    12: 'yellow_diamond',
    14: 'red_octagon',
    17: 'red_disc',
    32: 'end_of_restriction',
    41: 'end_of_restriction',
    42: 'end_of_restriction',
}

#: Colour scheme name of each class (key of :data:`GTSDB_COLOR_SCHEMES`).
GTSDB_CLASS_SCHEMES: Tuple[str, ...] = tuple(
    _SPECIAL_SCHEMES.get(
        i, 'blue_disc' if GTSDB_CATEGORIES[i] == 'mandatory' else 'red_rim')
    for i in range(NUM_GTSDB_CLASSES))


def gtsdb_sign_colors(class_id: int) -> Dict[str, Tuple[int, int, int]]:
    """Return the ``rim`` / ``fill`` / ``glyph`` RGB colours of a class.

    Args:
        class_id (int): GTSDB class id in ``[0, 42]``.

    Returns:
        dict: ``{'rim': (r, g, b), 'fill': ..., 'glyph': ...}``.
    """
    if not 0 <= int(class_id) < NUM_GTSDB_CLASSES:
        raise ValueError(f'GTSDB class id {class_id} is outside '
                         f'[0, {NUM_GTSDB_CLASSES - 1}]')
    return dict(GTSDB_COLOR_SCHEMES[GTSDB_CLASS_SCHEMES[int(class_id)]])
