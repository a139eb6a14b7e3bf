# Copyright (c) mmhier contributors. All rights reserved.
"""model-index.yml (what ``mim search`` reads) parses with mim's own
``modelindex`` loader, lists every shipped hierarchical and flat config once,
and every listed config and README exists."""
import glob
import os.path as osp

from modelindex.load_model_index import load

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_model_index_lists_the_shipped_configs():
    index = load(osp.join(REPO, 'model-index.yml'))
    configs = [m.config for m in index.models]
    assert len(configs) == len(set(configs))
    for config in configs:
        assert osp.isfile(osp.join(REPO, config)), config
    shipped = sorted(
        osp.relpath(p, REPO) for folder in ('hier', 'flat')
        for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py')))
    assert sorted(configs) == shipped
    for model in index.models:
        assert model.name == osp.splitext(osp.basename(model.config))[0]
    for collection in index.collections:
        assert osp.isfile(osp.join(REPO, collection.readme)), collection.name
    demo = next(m for m in index.models
                if m.name.endswith('800i_synthetic-cvg-128x128')
                and m.in_collection == 'HierSeg')
    cityscapes = next(r for r in demo.results
                      if r.dataset == 'synthetic Cityscapes')
    assert cityscapes.metrics['mIoU'] == 50.7
