# Copyright (c) mmhier contributors. All rights reserved.
"""Deterministic synthetic street-scene and re-ID data in the real formats.

``generate(out_dir, seed=0, ...)`` writes Cityscapes, Mapillary Vistas v1.2,
GTSDB, Cityscapes Extended, a Cityscapes-layout domain-adaptation target and
two Market-1501-layout re-ID domains; see ``docs/synthetic_data.md``.
"""
from .cityscapes import (CITYSCAPES_LABELS, LABEL_ID_TO_TRAIN_ID,
                         SCENE_TO_LABEL_ID)
from .generator import DATASETS, MARKER, generate
from .labels import SceneClass
from .reid import market_name
from .signs import glyph_code
from .vistas import SCENE_TO_VISTAS_ID, VISTAS_LABELS

__all__ = [
    'generate', 'DATASETS', 'MARKER', 'SceneClass', 'CITYSCAPES_LABELS',
    'LABEL_ID_TO_TRAIN_ID', 'SCENE_TO_LABEL_ID', 'VISTAS_LABELS',
    'SCENE_TO_VISTAS_ID', 'glyph_code', 'market_name'
]
