# Copyright (c) mmhier contributors. All rights reserved.
"""The classifier weights lambda_j and the per-dataset classifier switches of
every hierarchical loss in the shipped configs, as the losses resolve them
from the tree files (Meletis & Dubbelman, IV 2018: 1.0 / 0.1 / 0.1 per
classifier level; Cityscapes kept out of the ``driveable`` classifier)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmhier.registry import MODELS
from mmhier.taxonomy import LabelTree

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
LOSSES = ('HierarchicalLoss', 'SoftHierarchicalLoss')
PAPER = {
    'root': 1.0,
    'driveable': 0.1,
    'rider': 0.1,
    'traffic sign': 0.1,
    'traffic sign front': 0.1
}
#: the ablations that change the sign classifier's weight
SIGN_WEIGHT = {
    'hier_tiny_sign-weight1.py': 1.0,
    'hier_tiny_sign-weight1-clip.py': 1.0,
    'hier_tiny_sign-weight03.py': 0.3,
    'hier_tiny_lr0.01_sign-weight0.5.py': 0.5,
    'hier_tiny_lr0.005_sign-weight1.py': 1.0
}


def find_losses(cfg, key=''):
    """``{key: loss config}`` of every hierarchical loss in a config."""
    found = {}
    if isinstance(cfg, dict):
        if cfg.get('type') in LOSSES:
            found[key] = cfg
        for k, v in cfg.items():
            found.update(find_losses(v, f'{key}.{k}'))
    elif isinstance(cfg, (list, tuple)):
        for i, v in enumerate(cfg):
            found.update(find_losses(v, f'{key}[{i}]'))
    return found


def resolved_losses():
    """(config, loss key, bound loss) of every shipped config's losses; the
    loss is bound to the config's tree, as its head or segmentor does."""
    for path in sorted(glob.glob(osp.join(REPO, 'configs', '*', '**',
                                          '*.py'), recursive=True)):
        rel = osp.relpath(path, REPO)
        if rel.startswith(osp.join('configs', '_base_')) or \
                'taxonomy' in osp.basename(path):
            continue
        cfg = Config.fromfile(path)
        head = cfg.model.get('decode_head') or cfg.model.get(
            'model', {}).get('decode_head') or {}
        for key, loss_cfg in find_losses(cfg.to_dict()['model']).items():
            loss_cfg = dict(loss_cfg)
            loss_cfg.pop('_scope_', None)
            tree = LabelTree.build(
                osp.join(REPO, loss_cfg.pop('taxonomy', head['taxonomy'])))
            loss = MODELS.build(loss_cfg)
            loss.bind_taxonomy(tree)
            yield rel, key, loss


def test_shipped_configs_resolve_the_paper_weights():
    seen = 0
    for rel, key, loss in resolved_losses():
        seen += 1
        weights = dict(zip(loss.tree.classifier_names,
                           loss.classifier_weights))
        expected = dict(PAPER)
        if osp.basename(rel) in SIGN_WEIGHT:
            expected['traffic sign front'] = SIGN_WEIGHT[osp.basename(rel)]
        assert weights == pytest.approx(expected), (rel, key)
        masks = {ds: m.tolist() for ds, m in loss.dataset_masks.items()}
        if 'cvg_cityscapes_vistas_gtsdb' in loss.tree.source:
            # the real tree keeps Cityscapes out of `driveable` (index 1)
            assert masks == {'cityscapes': [True, False, True, True, True]}
        else:
            assert masks == {}, (rel, key)
    # 31 configs with one loss (the head's), the mean-teacher and MMT
    # segmentation configs with three (the head's, the soft and the hard one)
    assert seen == 37
