# Copyright (c) mmhier contributors. All rights reserved.
"""GTSDB (IJCNN 2013) writer.

Layout (as the real release)::

    TrainIJCNN2013/00000.ppm ... + gt.txt
    TestIJCNN2013/00000.ppm ...  + gt.txt

Images are binary PPM (``P6``); ``gt.txt`` has one line per sign,
``00000.ppm;left;top;right;bottom;classId`` with inclusive pixel
coordinates; an image without signs has no line. The images here are
340x200 (a quarter of the real 1360x800). Sign faces are 16-48 px wide
there, 5-14% of the image width: as in the street scenes (5-13%), enlarged
with respect to the real 16-128 px in 1360 (1-9%) by about the same factor,
so that GTSDB signs keep the size relation the real datasets have after the
paper's scaling to a common height. Signs stand on roadside poles among
trees, cars and people and can be partly hidden by them; a box is tight
around the visible part of the face, as annotated.
"""
import os.path as osp
from typing import List, Sequence

import numpy as np

from .io import write_ppm
from .scene import render_street_scene
from .style import SceneStyle

#: Split folder names of the real release.
GTSDB_SPLITS = dict(train='TrainIJCNN2013', test='TestIJCNN2013')

#: Sign face size range in pixels at 340x200.
SIGN_PX = (16.0, 48.0)


def gtsdb_line(file_name: str, box) -> str:
    """One ``gt.txt`` line for ``box = (left, top, right, bottom, class)``."""
    left, top, right, bottom, class_id = box
    return f'{file_name};{left};{top};{right};{bottom};{class_id}'


def write_gtsdb_image(split_dir: str, index: int, seed_seq, style: SceneStyle,
                      size, class_ids: Sequence[int],
                      sign_px=None) -> List[str]:
    """Render and write one GTSDB image; return its ``gt.txt`` lines.

    Args:
        split_dir (str): ``.../gtsdb/TrainIJCNN2013`` (or Test).
        index (int): Image number (``{index:05d}.ppm``).
        seed_seq: ``np.random.SeedSequence`` of this image.
        style (SceneStyle): Visual domain.
        size (tuple[int, int]): ``(width, height)``.
        class_ids (Sequence[int]): GTSDB classes of the signs to draw (the
            planner balances them over a split); empty renders a scene
            without any sign. A sign that finds no free place in the image
            is dropped.
        sign_px (tuple[float, float], optional): Face width range in pixels;
            None = :data:`SIGN_PX`.
    """
    rng = np.random.default_rng(seed_seq)
    scene = render_street_scene(rng,
                                size[0],
                                size[1],
                                style,
                                sign_px=sign_px or SIGN_PX,
                                class_ids=tuple(class_ids))
    file_name = f'{index:05d}.ppm'
    write_ppm(osp.join(split_dir, file_name), scene.image)
    return [gtsdb_line(file_name, box) for box in scene.boxes]


def write_gt_txt(split_dir: str, lines: List[str]) -> str:
    """Write ``gt.txt`` (lines in image order); returns its path."""
    path = osp.join(split_dir, 'gt.txt')
    with open(path, 'w', newline='\n') as f:
        f.write(''.join(line + '\n' for line in lines))
    return path
