# Copyright (c) mmhier contributors. All rights reserved.
"""Side-by-side drawing of the decision of every tree level, as in the
figures of Meletis & Dubbelman (IV 2018): the input, then one colour-coded
panel per level (L1 = root decision, L2, L3, ...) and the final leaf.

A level panel paints each pixel with the colour of the node decided at that
level (``LabelTree.node_palette``, internal nodes included) and pixels whose
decided path ends above that level in ``undecided_color``; the leaf panel
paints the deepest decision. mmseg's ``SegLocalVisualizer`` draws one
overlay of one label map; here a row of full panels is needed, so this is a
few numpy lines rather than a visualizer subclass.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np


def colorize_nodes(nodes: np.ndarray,
                   palette: np.ndarray,
                   undecided_color: Sequence[int] = (0, 0, 0)) -> np.ndarray:
    """``[H, W]`` node ids (-1 = undecided) -> ``[H, W, 3]`` uint8 RGB.

    Args:
        nodes (np.ndarray): int node ids, -1 where nothing was decided.
        palette (np.ndarray): ``[num_nodes, 3]`` RGB colours.
        undecided_color (Sequence[int]): RGB of -1 pixels.
    """
    palette = np.asarray(palette, np.uint8)
    nodes = np.asarray(nodes)
    if nodes.size and int(nodes.max()) >= len(palette):
        raise ValueError(f'node id {int(nodes.max())} has no colour: the '
                         f'palette has {len(palette)} entries')
    table = np.concatenate([palette, np.asarray([undecided_color], np.uint8)])
    return table[np.where(nodes < 0, len(palette), nodes)]


def deepest_decision(level_nodes: np.ndarray) -> np.ndarray:
    """``[D, H, W]`` per-level nodes (-1 below the leaf) -> ``[H, W]`` the
    deepest decided node (the leaf), -1 where no level decided anything (a
    flat model's extra "unlabeled" class, which is the tree's root)."""
    level_nodes = np.asarray(level_nodes)
    decided = level_nodes >= 0
    if (decided[1:] & ~decided[:-1]).any():
        raise ValueError('a level is decided below an undecided one: '
                         'level_nodes must be -1 only below the leaf')
    depth = np.maximum(decided.sum(axis=0) - 1, 0)
    leaf = np.take_along_axis(level_nodes, depth[None], axis=0)[0]
    return np.where(decided[0], leaf, -1)


def _title(panel: np.ndarray, text: str) -> np.ndarray:
    panel = np.ascontiguousarray(panel)
    scale = max(0.3, panel.shape[0] / 400)
    thickness = max(1, int(round(scale * 2)))
    org = (3, int(14 * scale / 0.4))
    cv2.putText(panel, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0),
                thickness + 2, cv2.LINE_AA)
    cv2.putText(panel, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), thickness, cv2.LINE_AA)
    return panel


def draw_level_panels(image: np.ndarray,
                      level_nodes: np.ndarray,
                      palette: np.ndarray,
                      undecided_color: Sequence[int] = (0, 0, 0),
                      titles: Optional[Sequence[str]] = None,
                      with_titles: bool = True) -> np.ndarray:
    """Input, one panel per level and the final leaf, side by side.

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8 RGB input.
        level_nodes (np.ndarray): ``[D, H, W]`` node decided at each level,
            -1 below the decided leaf (``pred_level_sem_seg``).
        palette (np.ndarray): ``[num_nodes, 3]`` RGB node colours.
        undecided_color (Sequence[int]): Colour of undecided pixels.
        titles (Sequence[str], optional): ``D + 2`` panel titles; defaults to
            ``input, L1, ..., LD, leaf``.
        with_titles (bool): Write the titles into the panels.

    Returns:
        np.ndarray: ``[H, (D + 2) * W, 3]`` uint8 RGB.
    """
    level_nodes = np.asarray(level_nodes)
    if level_nodes.ndim != 3 or level_nodes.shape[1:] != image.shape[:2]:
        raise ValueError(f'level_nodes {level_nodes.shape} must be '
                         f'[D, H, W] with H, W of the image {image.shape}')
    depth = level_nodes.shape[0]
    if titles is None:
        titles = ['input'] + [f'L{d + 1}' for d in range(depth)] + ['leaf']
    if len(titles) != depth + 2:
        raise ValueError(f'{len(titles)} titles for {depth + 2} panels')
    panels = [np.asarray(image, np.uint8)]
    panels += [
        colorize_nodes(level_nodes[d], palette, undecided_color)
        for d in range(depth)
    ]
    panels.append(
        colorize_nodes(deepest_decision(level_nodes), palette,
                       undecided_color))
    if with_titles:
        panels = [_title(p, t) for p, t in zip(panels, titles)]
    return np.concatenate(panels, axis=1)


def draw_label_panels(image: np.ndarray,
                      labels: np.ndarray,
                      palette: np.ndarray,
                      with_titles: bool = True) -> np.ndarray:
    """Input and prediction side by side, for a model without a label tree
    (a plain mmseg segmentor): no level panels to draw.

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8 RGB input.
        labels (np.ndarray): ``[H, W]`` class ids (``pred_sem_seg``).
        palette (np.ndarray): ``[num_classes, 3]`` RGB class colours
            (``dataset_meta['palette']``).
        with_titles (bool): Write the titles into the panels.

    Returns:
        np.ndarray: ``[H, 2 * W, 3]`` uint8 RGB.
    """
    labels = np.asarray(labels)
    if labels.shape != image.shape[:2]:
        raise ValueError(f'labels {labels.shape} must have the H, W of the '
                         f'image {image.shape}')
    panels = [np.asarray(image, np.uint8), colorize_nodes(labels, palette)]
    if with_titles:
        panels = [_title(p, t) for p, t in zip(panels, ('input', 'leaf'))]
    return np.concatenate(panels, axis=1)


def panel_size(image_shape: Tuple[int, int], depth: int) -> Tuple[int, int]:
    """``(H, W)`` of :func:`draw_level_panels`' output for an ``(H, W)``
    image and a ``depth``-level tree."""
    return image_shape[0], (depth + 2) * image_shape[1]
