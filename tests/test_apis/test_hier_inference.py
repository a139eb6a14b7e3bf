# Copyright (c) mmhier contributors. All rights reserved.
"""Per-level decisions from class predictions through the taxonomy, and the
inference pipeline taken from a dataset config."""
import pytest
import torch
from mmengine.config import Config

from mmhier.apis import inference_pipeline, level_nodes_from_prediction
from mmhier.taxonomy import LabelTree

# node ids (breadth-first): root 0, road 1, sign 2, car 3, back 4, front 5,
# stop 6, yield 7; leaves (depth-first): road, back, stop, yield, car


def test_levels_of_leaves_and_coarse_classes(toy_taxonomy):
    tree = LabelTree.build(toy_taxonomy(name='toy_infer'))
    # leaf indices 0..4, then the flat coarse classes sign (5), front (6)
    pred = torch.tensor([[0, 1, 2], [3, 4, 5], [6, 2, 0]])
    levels = level_nodes_from_prediction(pred, tree, ['sign', 'front'])
    assert levels.shape == (3, 3, 3)
    assert levels[0].tolist() == [[1, 2, 2], [2, 3, 2], [2, 2, 1]]
    assert levels[1].tolist() == [[-1, 4, 5], [5, -1, -1], [5, 5, -1]]
    assert levels[2].tolist() == [[-1, -1, 6], [7, -1, -1], [-1, 6, -1]]
    with pytest.raises(ValueError, match='predicted class 7'):
        level_nodes_from_prediction(torch.tensor([[7]]), tree,
                                    ['sign', 'front'])


def test_inference_pipeline_drops_annotation_loaders():
    cfg = Config(
        dict(test_dataloader=dict(dataset=dict(
            type='HierConcatDataset',
            datasets=[
                dict(pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='Resize', scale=(8, 4)),
                    dict(type='LoadBoxAnnotations'),
                    dict(type='BoxToMask'),
                    dict(type='PackSegInputs')
                ])
            ]))))
    assert [t['type'] for t in inference_pipeline(cfg)] == [
        'LoadImageFromFile', 'Resize', 'PackSegInputs'
    ]
    cfg.test_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadHierAnnotations')
    ]
    assert inference_pipeline(cfg) == [dict(type='LoadImageFromFile')]
    with pytest.raises(KeyError, match='no test_pipeline'):
        inference_pipeline(Config(dict(test_dataloader=dict(dataset={}))))
