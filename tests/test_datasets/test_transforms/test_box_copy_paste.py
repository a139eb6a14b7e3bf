# Copyright (c) mmhier contributors. All rights reserved.
import numpy as np
import pytest

from mmhier.datasets.transforms import BoxCopyPaste
from mmhier.datasets.transforms.box_copy_paste import labelled_patches
from mmhier.registry import TRANSFORMS

I = 255  # noqa: E741


def _sample(seg, fill=0):
    seg = np.asarray(seg, dtype=np.uint8)
    img = np.full(seg.shape + (3, ), fill, dtype=np.uint8)
    img[seg != I] = seg[seg != I, None]  # a labelled pixel shows its label
    return dict(img=img, gt_seg_map=seg, img_path='x.ppm')


def test_labelled_patches_by_hand():
    seg = np.full((8, 8), I, np.uint8)
    seg[1:3, 2:5] = 7  # a 2x3 box
    seg[4:7, 4:6] = 9  # two overlapping boxes of different classes,
    seg[5:7, 6] = 8    # one region
    seg[7, 0] = 3      # touches the border: a partial sign, not cut
    img = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
    patches = labelled_patches(img, seg, I)
    assert len(patches) == 2
    (img0, seg0), (img1, seg1) = patches
    np.testing.assert_array_equal(seg0, np.full((2, 3), 7))
    np.testing.assert_array_equal(img0, img[1:3, 2:5])
    np.testing.assert_array_equal(
        seg1, [[9, 9, I], [9, 9, 8], [9, 9, 8]])
    np.testing.assert_array_equal(img1, img[4:7, 4:7])
    # min_pixels drops the small region
    assert len(labelled_patches(img, seg, I, min_pixels=7)) == 1


def test_paste_writes_image_and_labels_off_the_labelled_pixels():
    np.random.seed(0)
    t = TRANSFORMS.build(
        dict(type='BoxCopyPaste', max_num_pasted=3, min_pixels=1))
    assert isinstance(t, BoxCopyPaste)
    first = np.full((16, 16), I, np.uint8)
    first[2:5, 3:7] = 5  # 3x4 box of class 5
    out = t(_sample(first))
    # nothing cached before the first sample: unchanged, then cached
    np.testing.assert_array_equal(out['gt_seg_map'], first)
    assert len(t.cache) == 1
    pasted_total = 0
    for _ in range(20):
        seg = np.full((16, 16), I, np.uint8)
        seg[10:14, 10:14] = 6  # its own box, never overwritten
        out = t(_sample(seg))
        res = out['gt_seg_map']
        assert (res[10:14, 10:14] == 6).all()
        fives = res == 5
        # every pasted pixel shows the source's image (5) and label (5)
        assert (out['img'][fives] == 5).all()
        assert (out['img'][res == I] == 0).all()
        # pasted regions are whole 3x4 boxes
        assert fives.sum() % 12 == 0 and fives.sum() <= 3 * 12
        pasted_total += fives.sum() // 12
        t.cache = t.cache[:1]  # keep drawing the class-5 box only
    # 0..3 drawn uniformly per call, nearly all of them find a place
    assert 20 <= pasted_total <= 40


def test_cache_is_bounded_and_fifo():
    t = BoxCopyPaste(max_num_pasted=0, max_cached=3, min_pixels=1)
    for label in range(5):
        seg = np.full((8, 8), I, np.uint8)
        seg[2:4, 2:4] = label
        t(_sample(seg))
    assert [int(p[1][0, 0]) for p in t.cache] == [2, 3, 4]


def test_prob_zero_never_pastes():
    t = BoxCopyPaste(max_num_pasted=4, prob=0.0, min_pixels=1)
    seg = np.full((8, 8), I, np.uint8)
    seg[2:4, 2:4] = 1
    t(_sample(seg))
    for _ in range(5):
        empty = np.full((8, 8), I, np.uint8)
        assert (t(_sample(empty))['gt_seg_map'] == I).all()


def test_too_large_region_is_skipped():
    t = BoxCopyPaste(max_num_pasted=4)
    big = np.full((12, 12), I, np.uint8)
    big[1:11, 1:11] = 2
    t(_sample(big))
    small = np.full((6, 6), I, np.uint8)
    for _ in range(5):
        assert (t(_sample(small))['gt_seg_map'] == I).all()


def test_bad_arguments_and_mismatched_sizes():
    with pytest.raises(ValueError, match='max_num_pasted'):
        BoxCopyPaste(max_num_pasted=-1)
    with pytest.raises(ValueError, match='max_cached'):
        BoxCopyPaste(max_cached=0)
    with pytest.raises(ValueError, match='prob'):
        BoxCopyPaste(prob=1.5)
    with pytest.raises(ValueError, match='max_tries'):
        BoxCopyPaste(max_tries=0)
    sample = _sample(np.full((4, 4), I))
    sample['img'] = np.zeros((5, 4, 3), np.uint8)
    with pytest.raises(ValueError, match='x.ppm'):
        BoxCopyPaste()(sample)


def test_scale_range_resizes_the_pasted_region():
    np.random.seed(1)
    t = BoxCopyPaste(max_num_pasted=1, scale_range=(2.0, 2.0), min_pixels=1)
    first = np.full((32, 32), I, np.uint8)
    first[2:5, 3:7] = 5  # 3x4 box
    t(_sample(first))
    sizes = set()
    for _ in range(10):
        res = t(_sample(np.full((32, 32), I, np.uint8)))['gt_seg_map']
        t.cache = t.cache[:1]
        if (res == 5).any():
            ys, xs = np.nonzero(res == 5)
            sizes.add((np.ptp(ys) + 1, np.ptp(xs) + 1, int((res == 5).sum())))
    assert sizes == {(6, 8, 48)}  # twice the side, four times the area
    with pytest.raises(ValueError, match='scale_range'):
        BoxCopyPaste(scale_range=(1.5, 1.0))


@pytest.fixture
def shared_caches(monkeypatch):
    from mmhier.datasets.transforms import box_copy_paste
    caches = {}
    monkeypatch.setattr(box_copy_paste, '_SHARED_CACHES', caches)
    return caches


def test_shared_cache_pastes_boxes_over_a_dense_crop(shared_caches):
    np.random.seed(1)
    box_side = BoxCopyPaste(max_num_pasted=0, min_pixels=1,
                            cache_name='signs')
    dense_side = TRANSFORMS.build(
        dict(type='BoxCopyPaste', max_num_pasted=4, min_pixels=1,
             cache_name='signs', fill_cache=False, paste_over='any'))
    # 'road' everywhere but a void frame (a region a filling pipeline
    # would cache)
    dense = np.full((16, 16), I, np.uint8)
    dense[1:-1, 1:-1] = 2
    # the cache is empty until the box dataset's pipeline has run
    out = dense_side(_sample(dense))
    np.testing.assert_array_equal(out['gt_seg_map'], dense)
    box = np.full((16, 16), I, np.uint8)
    box[2:5, 3:7] = 200  # a 3x4 weak box
    box_side(_sample(box))
    assert len(shared_caches['signs']) == 1
    assert dense_side.cache is shared_caches['signs']
    pasted_total = 0
    for _ in range(20):
        out = dense_side(_sample(dense))
        res = out['gt_seg_map']
        boxes = res == 200
        # pasted over the road: image and weak label of the box, the rest
        # of the crop keeps its labels
        assert (out['img'][boxes] == 200).all()
        np.testing.assert_array_equal(res[~boxes], dense[~boxes])
        assert (out['img'][~boxes & (dense == 2)] == 2).all()
        # whole 3x4 boxes that never overlap one another
        assert boxes.sum() % 12 == 0 and boxes.sum() <= 4 * 12
        pasted_total += boxes.sum() // 12
    # 0..4 per call, uniform: 40 expected over 20 calls
    assert 20 <= pasted_total <= 60
    # the dense pipeline adds nothing to the shared cache
    assert len(shared_caches['signs']) == 1


def test_paste_over_any_keeps_pasted_regions_apart(shared_caches):
    np.random.seed(2)
    t = BoxCopyPaste(max_num_pasted=8, min_pixels=1, cache_name='c',
                     fill_cache=False, paste_over='any', max_tries=50)
    # two 4x4 boxes of class 9 in the cache: 8 fit at most 4 times in 8x8
    patch = (np.full((4, 4, 3), 9, np.uint8), np.full((4, 4), 9, np.uint8))
    shared_caches['c'] = [patch]
    counts = []
    for _ in range(10):
        res = t(_sample(np.full((8, 8), 1, np.uint8)))['gt_seg_map']
        nines = int((res == 9).sum())
        assert nines % 16 == 0 and nines <= 64
        counts.append(nines // 16)
    assert max(counts) >= 2  # several boxes pasted, none overlapping


def test_shared_cache_arguments_checked():
    with pytest.raises(ValueError, match='cache_name'):
        BoxCopyPaste(fill_cache=False)
    with pytest.raises(ValueError, match='paste_over'):
        BoxCopyPaste(paste_over='everywhere')
