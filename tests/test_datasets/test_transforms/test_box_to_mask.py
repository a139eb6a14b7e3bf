# Copyright (c) mmhier contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest

from mmhier.datasets.gtsdb_meta import GTSDB_SHAPES
from mmhier.datasets.transforms import BoxToMask
from mmhier.datasets.transforms.box_to_mask import boxes_to_mask
from mmhier.registry import TRANSFORMS

TOY = osp.join(osp.dirname(__file__), '..', '..', 'data',
               'hier_toy_taxonomy.py')
# toy tree: gtsdb class 0/1/2 -> weak codes 12/13/14, node (pixel) 9/10/11
I = 255  # noqa: E741  (ignore, to keep the hand-drawn masks readable)


def _draw(rows, mapping):
    """Hand-drawn mask: '.' -> ignore, other characters via ``mapping``."""
    return np.array([[mapping.get(c, I) for c in row] for row in rows],
                    dtype=np.uint8)


def _one(shape, box=(0, 0, 5, 5), hw=(5, 5)):
    mask, dropped = boxes_to_mask(hw[0], hw[1], np.array([box]), [1],
                                  shapes=[shape])
    assert dropped == 0
    return mask


@pytest.mark.parametrize('shape, rows', [
    ('box', ['xxxxx'] * 5),
    ('circle', ['.xxx.', 'xxxxx', 'xxxxx', 'xxxxx', '.xxx.']),
    ('triangle_up', ['..x..', '..x..', '.xxx.', '.xxx.', 'xxxxx']),
    ('triangle_down', ['xxxxx', '.xxx.', '.xxx.', '..x..', '..x..']),
    ('diamond', ['..x..', '.xxx.', 'xxxxx', '.xxx.', '..x..']),
    ('octagon', ['.xxx.', 'xxxxx', 'xxxxx', 'xxxxx', '.xxx.']),
])
def test_every_shape_on_a_5x5_box(shape, rows):
    assert np.array_equal(_one(shape), _draw(rows, {'x': 1}))


def test_octagon_differs_from_circle_on_a_10x10_box():
    # pixel (row 0, col 2): u = -0.25, v = -0.45. Octagon: |u| + |v| = 0.70
    # <= 1 - 1 / (2 + sqrt 2) = 0.7071 -> inside; circle: u^2 + v^2 = 0.265
    # > 0.25 -> outside. (row 0, col 1): |u| + |v| = 0.80 -> outside both.
    octagon = _one('octagon', (0, 0, 10, 10), (10, 10))
    expected = _draw(['..xxxxxx..', '.xxxxxxxx.'] + ['xxxxxxxxxx'] * 6 +
                     ['.xxxxxxxx.', '..xxxxxx..'], {'x': 1})
    assert np.array_equal(octagon, expected)
    circle = _one('circle', (0, 0, 10, 10), (10, 10))
    assert circle[0, 2] == I and circle[2, 0] == I and circle[0, 3] == 1


def test_overlap_smaller_box_on_top_regardless_of_order():
    big, small = [0, 0, 4, 3], [1, 1, 3, 2]
    expected = _draw(['aaaa', 'abba', 'aaaa'], {'a': 7, 'b': 9})
    for boxes, codes in (([big, small], [7, 9]), ([small, big], [9, 7])):
        mask, _ = boxes_to_mask(3, 4, np.array(boxes), codes)
        assert np.array_equal(mask, expected)
    # equal areas: the later box wins, deterministically
    mask, _ = boxes_to_mask(1, 3, np.array([[0, 0, 2, 1], [1, 0, 3, 1]]),
                            [4, 5])
    assert mask.tolist() == [[4, 5, 5]]


def test_clip_and_degenerate_boxes():
    boxes = np.array([
        [-2, -1, 2, 2],  # reaches outside: clipped to [0, 0, 2, 2]
        [3, 0, 3, 3],  # zero width: dropped
        [5, 5, 9, 9],  # entirely outside the 3x4 image: dropped
        [2.6, 0, 3.4, 1],  # covers no pixel centre (3.5 not < 3.4): dropped
    ])
    mask, dropped = boxes_to_mask(3, 4, boxes, [1, 2, 3, 4])
    assert dropped == 3
    assert np.array_equal(mask, _draw(['xx..', 'xx..', '....'], {'x': 1}))
    # the shape of a clipped box keeps the geometry of the full box: the
    # part right of x=0 of a 4x4 diamond centred on x=0 (pixel centres at
    # u = 0.125, 0.375; top row v = -0.375: only 0.125 + 0.375 <= 0.5)
    mask, _ = boxes_to_mask(4, 2, np.array([[-2, 0, 2, 4]]), [1],
                            shapes=['diamond'])
    assert np.array_equal(mask, _draw(['x.', 'xx', 'xx', 'x.'], {'x': 1}))


def _results(boxes, labels, hw=(4, 6)):
    return dict(img_shape=hw, img_path='00000.ppm', dataset_name='gtsdb',
                gt_bboxes=np.array(boxes, np.float32).reshape(-1, 4),
                gt_bboxes_labels=np.array(labels, np.int64), seg_fields=[])


def test_transform_box_mode_writes_weak_codes_and_ignore():
    t = TRANSFORMS.build(dict(type='BoxToMask', taxonomy=TOY))
    out = t(_results([[0, 0, 2, 2], [3, 1, 6, 4]], [0, 2]))
    assert out['gt_seg_map'].dtype == np.uint8
    assert np.array_equal(
        out['gt_seg_map'],
        _draw(['aa....', 'aa.sss', '...sss', '...sss'], {'a': 12, 's': 14}))
    assert out['seg_fields'] == ['gt_seg_map']
    assert 'gt_bboxes' not in out and 'gt_bboxes_labels' not in out


def test_transform_shape_mode_pixel_codes_for_flat_baseline():
    t = BoxToMask(TOY, mode='shape', label_type='pixel',
                  class_shapes=['circle', 'triangle_up', 'octagon'])
    out = t(_results([[0, 0, 5, 5]], [1], hw=(5, 5)))
    assert np.array_equal(
        out['gt_seg_map'],
        _draw(['..x..', '..x..', '.xxx.', '.xxx.', 'xxxxx'], {'x': 10}))
    # weak shape mode and the default GTSDB shapes
    t = BoxToMask(TOY, mode='shape', keep_boxes=True)
    assert t.class_shapes == GTSDB_SHAPES
    out = t(_results([[0, 0, 5, 5]], [0], hw=(5, 5)))  # class 0: circle
    assert out['gt_seg_map'][0, 0] == I and out['gt_seg_map'][2, 2] == 12
    assert 'gt_bboxes' in out


def test_transform_image_without_boxes_is_all_ignore():
    out = BoxToMask(TOY)(_results(np.zeros((0, 4)), []))
    assert (out['gt_seg_map'] == I).all() and out['gt_seg_map'].shape == (4,
                                                                          6)


def test_transform_warns_on_degenerate_and_rejects_bad_class():
    with pytest.warns(UserWarning, match=r'00000.ppm: dropped 1 degenerate'):
        BoxToMask(TOY)(_results([[1, 1, 1, 3], [0, 0, 1, 1]], [0, 1]))
    with pytest.raises(ValueError, match=r'00000.ppm.*\[7\].*gtsdb'):
        BoxToMask(TOY)(_results([[0, 0, 1, 1]], [7]))
    with pytest.raises(ValueError, match='unknown sign shape'):
        BoxToMask(TOY, mode='shape', class_shapes=['hexagon'])
    with pytest.raises(ValueError, match='mode'):
        BoxToMask(TOY, mode='polygon')
