# Copyright (c) mmhier contributors. All rights reserved.
from .level_visualizer import (colorize_nodes, deepest_decision,  # noqa
                               draw_label_panels, draw_level_panels,
                               panel_size)

__all__ = [
    'colorize_nodes', 'deepest_decision', 'draw_label_panels',
    'draw_level_panels', 'panel_size'
]
