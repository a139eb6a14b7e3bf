# Copyright (c) mmhier contributors. All rights reserved.
"""Mapillary Vistas v1.2 writer.

Layout (as the real release)::

    config_v1.2.json
    {training,validation}/images/{key}.jpg
    {training,validation}/v1.2/labels/{key}.png   # mode 'P', value = id

The ids 0..65 follow ``config_v1.2.json`` (the same order as
``mmseg.datasets.MapillaryDataset_v1``'s classes); the readable names and
colours are taken from mmseg, the machine names and the
``instances`` / ``evaluate`` flags are the ones of the real file.
"""
import json
import os
import os.path as osp
from typing import Dict, List

import numpy as np
from mmseg.datasets import MapillaryDataset_v1

from .io import write_jpg, write_palette_png
from .labels import SceneClass, scene_class_lut
from .scene import render_street_scene
from .style import SceneStyle

#: ``(machine name, has instances)`` of the 66 Vistas v1.2 labels, in id
#: order; only ``void--unlabeled`` has ``evaluate: false``.
_VISTAS_V12_NAMES = (
    ('animal--bird', True),
    ('animal--ground-animal', True),
    ('construction--barrier--curb', False),
    ('construction--barrier--fence', False),
    ('construction--barrier--guard-rail', False),
    ('construction--barrier--other-barrier', False),
    ('construction--barrier--wall', False),
    ('construction--flat--bike-lane', False),
    ('construction--flat--crosswalk-plain', True),
    ('construction--flat--curb-cut', False),
    ('construction--flat--parking', False),
    ('construction--flat--pedestrian-area', False),
    ('construction--flat--rail-track', False),
    ('construction--flat--road', False),
    ('construction--flat--service-lane', False),
    ('construction--flat--sidewalk', False),
    ('construction--structure--bridge', False),
    ('construction--structure--building', False),
    ('construction--structure--tunnel', False),
    ('human--person', True),
    ('human--rider--bicyclist', True),
    ('human--rider--motorcyclist', True),
    ('human--rider--other-rider', True),
    ('marking--crosswalk-zebra', True),
    ('marking--general', False),
    ('nature--mountain', False),
    ('nature--sand', False),
    ('nature--sky', False),
    ('nature--snow', False),
    ('nature--terrain', False),
    ('nature--vegetation', False),
    ('nature--water', False),
    ('object--banner', True),
    ('object--bench', True),
    ('object--bike-rack', True),
    ('object--billboard', True),
    ('object--catch-basin', True),
    ('object--cctv-camera', True),
    ('object--fire-hydrant', True),
    ('object--junction-box', True),
    ('object--mailbox', True),
    ('object--manhole', True),
    ('object--phone-booth', True),
    ('object--pothole', False),
    ('object--street-light', True),
    ('object--support--pole', True),
    ('object--support--traffic-sign-frame', True),
    ('object--support--utility-pole', True),
    ('object--traffic-light', True),
    ('object--traffic-sign--back', True),
    ('object--traffic-sign--front', True),
    ('object--trash-can', True),
    ('object--vehicle--bicycle', True),
    ('object--vehicle--boat', True),
    ('object--vehicle--bus', True),
    ('object--vehicle--car', True),
    ('object--vehicle--caravan', True),
    ('object--vehicle--motorcycle', True),
    ('object--vehicle--on-rails', False),
    ('object--vehicle--other-vehicle', True),
    ('object--vehicle--trailer', True),
    ('object--vehicle--truck', True),
    ('object--vehicle--wheeled-slow', True),
    ('void--car-mount', False),
    ('void--ego-vehicle', False),
    ('void--unlabeled', False),
)


def vistas_v12_labels() -> List[Dict]:
    """The ``labels`` list of ``config_v1.2.json`` (66 entries, id order)."""
    classes = MapillaryDataset_v1.METAINFO['classes']
    palette = MapillaryDataset_v1.METAINFO['palette']
    if len(classes) != len(_VISTAS_V12_NAMES):
        raise RuntimeError(
            f'mmseg MapillaryDataset_v1 has {len(classes)} classes, the '
            f'Vistas v1.2 table here has {len(_VISTAS_V12_NAMES)}')
    return [
        dict(name=name,
             readable=readable,
             color=[int(c) for c in color],
             instances=instances,
             evaluate=name != 'void--unlabeled')
        for (name, instances
             ), readable, color in zip(_VISTAS_V12_NAMES, classes, palette)
    ]


VISTAS_LABELS = vistas_v12_labels()
VISTAS_NAME_TO_ID = {lab['name']: i for i, lab in enumerate(VISTAS_LABELS)}
VISTAS_PALETTE = [lab['color'] for lab in VISTAS_LABELS]

#: How Vistas labels each painted scene class: markings, crosswalk stripes,
#: curbs, rider types and sign back / front are all separate classes.
_SCENE_TO_VISTAS = {
    SceneClass.UNLABELED: 'void--unlabeled',
    SceneClass.EGO_VEHICLE: 'void--ego-vehicle',
    SceneClass.SKY: 'nature--sky',
    SceneClass.BUILDING: 'construction--structure--building',
    SceneClass.VEGETATION: 'nature--vegetation',
    SceneClass.TERRAIN: 'nature--terrain',
    SceneClass.ROAD: 'construction--flat--road',
    SceneClass.LANE_MARKING: 'marking--general',
    SceneClass.CROSSWALK: 'marking--crosswalk-zebra',
    SceneClass.SIDEWALK: 'construction--flat--sidewalk',
    SceneClass.CURB: 'construction--barrier--curb',
    SceneClass.POLE: 'object--support--pole',
    SceneClass.SIGN_FRONT: 'object--traffic-sign--front',
    SceneClass.SIGN_BACK: 'object--traffic-sign--back',
    SceneClass.CAR: 'object--vehicle--car',
    SceneClass.PERSON: 'human--person',
    SceneClass.BICYCLIST: 'human--rider--bicyclist',
    SceneClass.MOTORCYCLIST: 'human--rider--motorcyclist',
    SceneClass.BICYCLE: 'object--vehicle--bicycle',
    SceneClass.MOTORCYCLE: 'object--vehicle--motorcycle',
}
SCENE_TO_VISTAS_ID = scene_class_lut(_SCENE_TO_VISTAS, VISTAS_NAME_TO_ID)

_KEY_ALPHABET = np.array(
    list('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'))


def vistas_key(rng: np.random.Generator) -> str:
    """A 22-character image key like the real ones
    (e.g. ``__CRyFzoDOXn6unQ6a3DnQ``)."""
    return ''.join(_KEY_ALPHABET[rng.integers(0, 64, 22)])


def write_vistas_config(root: str) -> str:
    """Write ``config_v1.2.json``; returns its path."""
    os.makedirs(root, exist_ok=True)
    path = osp.join(root, 'config_v1.2.json')
    with open(path, 'w') as f:
        json.dump(dict(labels=VISTAS_LABELS), f, indent=2)
        f.write('\n')
    return path


def write_vistas_image(root: str, split: str, key: str, seed_seq,
                       style: SceneStyle) -> str:
    """Render one scene of a varying size around 240x180 and write it.

    Args:
        root (str): Dataset root (``.../mapillary_vistas``).
        split (str): ``training`` or ``validation``.
        key (str): Image key (file stem).
        seed_seq: ``np.random.SeedSequence`` of this image.
        style (SceneStyle): Visual domain.

    Returns:
        str: The image path.
    """
    rng = np.random.default_rng(seed_seq)
    width = int(rng.choice([224, 240, 256]))
    height = int(round(width * rng.uniform(0.66, 0.8)))
    scene = render_street_scene(rng, width, height, style, num_signs=(2, 3))
    img_path = osp.join(root, split, 'images', f'{key}.jpg')
    write_jpg(img_path, scene.image)
    write_palette_png(osp.join(root, split, 'v1.2', 'labels', f'{key}.png'),
                      SCENE_TO_VISTAS_ID[scene.label], VISTAS_PALETTE)
    return img_path
