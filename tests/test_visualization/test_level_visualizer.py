# Copyright (c) mmhier contributors. All rights reserved.
"""Level panels: colours, the deepest decision and the side-by-side layout,
checked on hand-made 2x3 maps."""
import numpy as np
import pytest

from mmhier.visualization import (colorize_nodes, deepest_decision,
                                  draw_level_panels, panel_size)

PALETTE = np.array([[0, 0, 0], [10, 0, 0], [0, 20, 0], [0, 0, 30],
                    [40, 40, 0]], np.uint8)
# node decided at level 1 / level 2; -1 = the path ended above the level
LEVELS = np.array([
    [[1, 1, 2], [2, 3, 3]],
    [[-1, -1, 4], [4, -1, -1]],
])


def test_colorize_nodes_and_undecided():
    rgb = colorize_nodes(LEVELS[1], PALETTE, undecided_color=(7, 8, 9))
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [7, 8, 9]
    assert rgb[0, 2].tolist() == [40, 40, 0]
    assert rgb[1, 0].tolist() == [40, 40, 0]
    assert rgb[1, 2].tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match='node id 5'):
        colorize_nodes(np.array([[5]]), PALETTE)


def test_deepest_decision():
    assert deepest_decision(LEVELS).tolist() == [[1, 1, 4], [4, 3, 3]]
    # nothing decided (a flat model's "unlabeled", the root) -> -1
    assert deepest_decision(np.array([[[-1, 2]], [[-1, -1]]])).tolist() == \
        [[-1, 2]]
    with pytest.raises(ValueError, match='below an undecided'):
        deepest_decision(np.array([[[-1]], [[2]]]))


def test_panels_side_by_side():
    image = np.full((2, 3, 3), 200, np.uint8)
    canvas = draw_level_panels(image, LEVELS, PALETTE, with_titles=False)
    assert canvas.shape == panel_size((2, 3), 2) + (3, ) == (2, 12, 3)
    assert (canvas[:, :3] == 200).all()  # input
    assert canvas[:, 3:6].tolist() == PALETTE[LEVELS[0]].tolist()  # L1
    assert canvas[0, 6].tolist() == [0, 0, 0]  # L2 undecided -> black
    assert canvas[0, 8].tolist() == [40, 40, 0]
    leaf = np.array([[1, 1, 4], [4, 3, 3]])
    assert canvas[:, 9:].tolist() == PALETTE[leaf].tolist()  # final leaf
    titled = draw_level_panels(image.repeat(20, 0).repeat(20, 1),
                               LEVELS.repeat(20, 1).repeat(20, 2), PALETTE)
    assert titled.shape == (40, 240, 3)
    with pytest.raises(ValueError, match=r'\[D, H, W\]'):
        draw_level_panels(image, LEVELS[:, :1], PALETTE)
