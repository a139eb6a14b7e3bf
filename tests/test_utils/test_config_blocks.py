# Copyright (c) mmhier contributors. All rights reserved.
import os.path as osp

from mmengine.config import Config

from mmhier.utils import building_blocks, drop_building_blocks

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = 'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'


def test_blocks_inlined_elsewhere_are_dropped_by_hand():
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]
    cfg = Config(
        dict(
            train_pipeline=pipeline,  # inlined below: a building block
            unused_block=[dict(type='Resize')],  # inlined nowhere: kept
            test_pipeline=pipeline,  # read by the inferencers: kept
            crop_size=(8, 8),  # read by tools/analysis/prune.py: kept
            batch_size=2,  # not a list or dict: kept
            train_dataloader=dict(
                batch_size=2, dataset=dict(pipeline=pipeline))))
    assert building_blocks(cfg) == ['train_pipeline']
    drop_building_blocks(cfg)
    assert sorted(cfg) == [
        'batch_size', 'crop_size', 'test_pipeline', 'train_dataloader',
        'unused_block'
    ]
    assert cfg.train_dataloader.dataset.pipeline == pipeline


def test_demo_config_keeps_what_the_run_reads():
    cfg = Config.fromfile(osp.join(REPO, DEMO))
    full = cfg.to_dict()
    dropped = building_blocks(cfg)
    for name in ('pixel_train_pipeline', 'gtsdb_train_pipeline',
                 'cityscapes_train', 'gtsdb_val', 'sign_class_subset'):
        assert name in dropped, name
    drop_building_blocks(cfg)
    for key in ('model', 'train_dataloader', 'test_dataloader',
                'test_evaluator', 'test_pipeline', 'tta_model',
                'tta_ratios', 'tta_unflipped_classifiers'):
        assert cfg[key] == full[key], key
    # the dump the runner logs: 825 -> 590 lines (1161 before the dataset
    # pipelines packed with PackHierSegInputs' default meta keys)
    before = len(Config(full).pretty_text.splitlines())
    after = len(cfg.pretty_text.splitlines())
    assert after < 0.75 * before and after < 600
