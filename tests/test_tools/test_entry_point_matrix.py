# Copyright (c) mmhier contributors. All rights reserved.
"""Every segmentation config that runs on the bundled synthetic data through
the command-line entry points a mmseg user reaches for, on a checkpoint
saved as the runner saves one (random weights; a backbone pruned by half
for the multi-dataset configs): ``tools/test.py`` without and with
``--tta``, and ``tools/infer.py`` on one image.

The tools run from a scratch directory whose ``data/synthetic`` is a tiny
generated set and whose ``configs`` is the repository's, so the configs'
relative data and taxonomy paths resolve unchanged. (The inference APIs,
``MMSegInferencer`` and ``inference_model``, are checked per config in
``tests/test_apis/test_inference_matrix.py``.)"""
import glob
import os
import os.path as osp
import re

import mmcv
import pytest
from tool_runs import REPO

CONFIGS = sorted(
    osp.relpath(p, REPO) for folder in ('hier', 'flat', 'baselines')
    for p in glob.glob(osp.join(REPO, 'configs', folder, '*synthetic*.py')))
#: configs whose checkpoint is also tested with its backbone pruned by half
PRUNED = {
    'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py',
    'configs/flat/flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py',
}
CASES = [(c, False) for c in CONFIGS] + [(c, True) for c in sorted(PRUNED)]
LOADER_OPTIONS = ('test_dataloader.num_workers=0',
                  'test_dataloader.persistent_workers=False')
#: two scales (one below the test scale, to keep CPU time down) x flip
TTA_RATIOS = '[0.5,1.0]'


@pytest.fixture(scope='module')
def workspace(tmp_path_factory, synthetic_root):
    """A directory with ``data/synthetic`` (generated) and ``configs``."""
    root = tmp_path_factory.mktemp('entry_points')
    os.makedirs(root / 'data')
    os.symlink(synthetic_root, root / 'data' / 'synthetic')
    os.symlink(osp.join(REPO, 'configs'), root / 'configs')
    return root


def _metrics(stdout):
    """``{name: value}`` of the ``name: value`` pairs in the final log line
    of ``tools/test.py``."""
    lines = [ln for ln in stdout.splitlines() if 'Iter(test)' in ln]
    assert lines, stdout[-3000:]
    return {k: float(v) for k, v in re.findall(
        r'([\w./]*(?:mIoU|mPA|aAcc)[\w.]*): ([0-9.]+)', lines[-1])}


@pytest.mark.parametrize('config,pruned', CASES,
                         ids=[f'{osp.basename(c)[:-3]}-'
                              f'{"pruned" if p else "dense"}'
                              for c, p in CASES])
def test_test_tta_and_infer(config, pruned, workspace, tool, tmp_path,
                            monkeypatch, save_random_checkpoint):
    from mmengine.config import Config

    from mmhier.apis import init_model
    monkeypatch.chdir(workspace)  # the configs' relative taxonomy paths
    ckpt = tmp_path / 'model.pth'
    model = save_random_checkpoint(config, ckpt, pruned)
    if pruned:
        dense = init_model(config)
        assert sum(p.numel() for p in model.backbone.parameters()) < \
            0.5 * sum(p.numel() for p in dense.backbone.parameters())

    plain = tool(osp.join(REPO, 'tools', 'test.py'), config, str(ckpt),
                 '--work-dir', str(tmp_path / 'plain'), '--cfg-options',
                 *LOADER_OPTIONS, cwd=str(workspace)).stdout
    tta = tool(osp.join(REPO, 'tools', 'test.py'), config, str(ckpt),
               '--tta', '--work-dir', str(tmp_path / 'tta'),
               '--cfg-options', *LOADER_OPTIONS, f'tta_ratios={TTA_RATIOS}',
               cwd=str(workspace)).stdout
    plain_metrics, tta_metrics = _metrics(plain), _metrics(tta)
    # every dataset's table is printed both ways, with values in range
    assert plain_metrics and set(plain_metrics) == set(tta_metrics)
    for value in list(plain_metrics.values()) + list(tta_metrics.values()):
        assert 0.0 <= value <= 100.0
    # --tta really ran the merged model on the flip + multi-scale views
    dumped = Config.fromfile(
        glob.glob(str(tmp_path / 'tta' / '*' / 'vis_data' / 'config.py'))[0])
    assert 'TTAModel' in dumped.model.type
    assert dumped.tta_ratios == [0.5, 1.0]
    # the GTSDB configs merge the sign classifier from unmirrored views
    assert dumped.model.get('unflipped_classifiers') == Config.fromfile(
        osp.join(REPO, config)).get('tta_unflipped_classifiers')
    if '_cvg-' in config:
        assert dumped.model.unflipped_classifiers == ['traffic sign front']
    # each source of a multi-dataset test set loads with its own pipeline
    dataset = dumped.test_dataloader.dataset
    pipelines = [d.pipeline for d in dataset.get('datasets', [dataset])]
    for pipeline in pipelines:
        aug = [t for t in pipeline if t.type == 'TestTimeAug']
        assert len(aug) == 1 and len(aug[0].transforms[0]) == 2  # 2 scales
        assert len(aug[0].transforms[1]) == 2  # plain and flipped

    image = sorted(glob.glob(osp.join(
        workspace, 'data', 'synthetic', 'cityscapes', 'leftImg8bit', 'val',
        '*', '*.png')))[0]
    out = tmp_path / 'infer'
    tool(osp.join(REPO, 'tools', 'infer.py'), config, str(ckpt), image,
         '--out-dir', str(out), '--device', 'cpu', cwd=str(workspace))
    drawn = sorted(out.glob('*.png'))
    assert len(drawn) == 1
    h, w = mmcv.imread(image).shape[:2]
    # input + the final leaf (+ one panel per level for hierarchical models)
    from mmhier.apis import model_taxonomy
    tree = model_taxonomy(model)
    panels = 2 if tree is None else 2 + tree.depth
    assert mmcv.imread(str(drawn[0])).shape == (h, panels * w, 3)
