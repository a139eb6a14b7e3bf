# Copyright (c) mmhier contributors. All rights reserved.
"""``build_tta_pipeline`` / ``tta_config``: the TTA pipeline built from a
config's test pipeline and ``tta_ratios`` equals the one the configs used to
write out by hand."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmhier.apis import build_tta_pipeline, tta_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FCN = osp.join(
    REPO, 'configs', 'baselines',
    'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')
HIER_TINY = osp.join(REPO, 'configs', 'hier',
                     'hier_tiny_1xb4-200i_synthetic-cityscapes-128x128.py')
META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'dataset_name')
FLIPS = [
    dict(type='RandomFlip', prob=0., direction='horizontal'),
    dict(type='RandomFlip', prob=1., direction='horizontal')
]
# test scale (256, 128) at 0.75, 1 and 1.25
RESIZES = [
    dict(type='Resize', scale=(192, 96), keep_ratio=True),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='Resize', scale=(320, 160), keep_ratio=True)
]


def _plain(node):
    """Config dicts and tuples as plain dicts and lists."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_plain(v) for v in node]
    return node


def test_built_pipeline_equals_the_hand_written_one():
    cfg = Config.fromfile(HIER_TINY)
    assert 'tta_pipeline' not in cfg
    # what the config wrote out by hand before
    expected = [
        dict(type='LoadImageFromFile'),
        dict(
            type='TestTimeAug',
            transforms=[
                RESIZES, FLIPS,
                [dict(type='PackSegInputs', meta_keys=META_KEYS)]
            ])
    ]
    built = build_tta_pipeline(cfg.test_pipeline, cfg.tta_ratios)
    assert _plain(built) == _plain(expected)
    assert _plain(tta_config(cfg).tta_pipeline) == _plain(expected)


def test_tta_config_adds_the_dataset_annotation_loader():
    cfg = tta_config(Config.fromfile(FCN))
    expected = [
        dict(type='LoadImageFromFile'),
        dict(
            type='TestTimeAug',
            transforms=[
                RESIZES, FLIPS, [dict(type='LoadAnnotations')],
                [dict(type='PackSegInputs')]
            ])
    ]
    assert _plain(cfg.test_dataloader.dataset.pipeline) == _plain(expected)
    assert cfg.model.type == 'HierSegTTAModel'


def test_a_written_out_tta_pipeline_is_kept():
    cfg = Config.fromfile(FCN)
    own = [dict(type='LoadImageFromFile'),
           dict(type='TestTimeAug',
                transforms=[[RESIZES[0]], [dict(type='PackSegInputs')]])]
    cfg.tta_pipeline = own
    pipeline = tta_config(cfg).test_dataloader.dataset.pipeline
    assert _plain(pipeline[1]['transforms']) == _plain(
        [[RESIZES[0]], [dict(type='LoadAnnotations')],
         [dict(type='PackSegInputs')]])


def test_needs_one_resize_and_ratios():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
    with pytest.raises(KeyError, match='exactly one Resize'):
        build_tta_pipeline(pipeline, [1.0])
    pipeline.insert(1, dict(type='Resize', scale=(8, 4), keep_ratio=True))
    with pytest.raises(KeyError, match='tta_ratios is empty'):
        build_tta_pipeline(pipeline, [])
    cfg = Config.fromfile(FCN)
    cfg.tta_ratios = None
    with pytest.raises(KeyError, match='tta_ratios'):
        tta_config(cfg)


def test_tta_flip_false_keeps_the_unmirrored_views_only():
    cfg = Config.fromfile(HIER_TINY)
    built = build_tta_pipeline(cfg.test_pipeline, cfg.tta_ratios, flip=False)
    assert _plain(built[1]['transforms'][1]) == _plain(FLIPS[:1])
    cfg.tta_flip = False
    assert _plain(tta_config(cfg).tta_pipeline) == _plain(built)


def test_shipped_sign_configs_merge_the_sign_classifier_unmirrored():
    """The multi-dataset configs with GTSDB name the sign classifier of
    their own tree, and tta_config hands it to the TTA model."""
    from mmhier.taxonomy import LabelTree
    for rel in ('configs/hier/hier_r18-tiny-d8_1xb4-2000i_synthetic-cvg-'
                '128x128.py', 'configs/hier/hier_r50-d8_1xb4-160k_cvg-'
                '512x706.py'):
        cfg = Config.fromfile(osp.join(REPO, rel))
        assert cfg.tta_unflipped_classifiers == ['traffic sign front'], rel
        tree = LabelTree.build(cfg.model.decode_head.taxonomy)
        assert set(cfg.tta_unflipped_classifiers) <= set(
            tree.classifier_names), rel
        tta = tta_config(cfg)
        assert tta.model.type == 'HierSegTTAModel'
        assert tta.model.unflipped_classifiers == ['traffic sign front']
    # a config without the key keeps mmseg's plain merge
    assert 'unflipped_classifiers' not in tta_config(
        Config.fromfile(HIER_TINY)).model
