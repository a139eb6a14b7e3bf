# Copyright (c) mmhier contributors. All rights reserved.
"""model-index.yml (what ``mim search`` reads) parses with mim's own
``modelindex`` loader, lists every shipped hierarchical and flat config once,
and every listed config and README exists."""
import glob
import os.path as osp
import re

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
    # the main job's config (tools/run_demo.sh) lists its results on every
    # dataset it prints
    with open(osp.join(REPO, 'tools', 'run_demo.sh')) as f:
        demo_config = re.search(r'^CONFIG=\$\{1:-(\S+)\}$', f.read(),
                                re.M)[1]
    demo = next(m for m in index.models if m.config == demo_config)
    assert demo.in_collection == 'HierSeg'
    assert sorted(r.dataset for r in demo.results) == sorted([
        'synthetic Cityscapes', 'synthetic Mapillary Vistas',
        'synthetic GTSDB (boxes)', 'synthetic GTSDB (sign outlines)',
        'synthetic Cityscapes Extended'
    ])
    for result in demo.results:
        assert all(0 < v <= 100 for v in result.metrics.values())
