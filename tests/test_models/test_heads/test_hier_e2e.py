# Copyright (c) mmhier contributors. All rights reserved.
"""End to end: the tiny hierarchical config trains and validates through
MMEngine's Runner on generated synthetic Cityscapes files (a few iterations;
the full 200-iteration run is the README's recipe)."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from mmhier.datasets.synthetic import generate

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs/hier/'
                  'hier_tiny_1xb4-200i_synthetic-cityscapes-128x128.py')


def test_tiny_config_trains_and_validates(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the taxonomy path is repo-relative
    generate(str(tmp_path / 'data'), num_train=4, num_val=2,
             datasets=['cityscapes'])
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(tmp_path / 'work')
    root = str(tmp_path / 'data' / 'cityscapes')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.dataset.data_root = root
        loader.num_workers = 0
        loader.persistent_workers = False
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_iters = 4
    cfg.train_cfg.val_interval = 4
    cfg.param_scheduler[0].end = 4
    cfg.default_hooks.checkpoint.interval = 4
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    # EncoderDecoder prefixes the head's items with 'decode.'
    for key in ('loss_hier.root', 'loss_hier.driveable', 'acc_seg'):
        assert f'train/decode.{key}' in scalars, key
    assert scalars['train/decode.loss_hier.root'].current() > 0
    # Cityscapes labels never reach below the root: a connected exact zero
    assert scalars['train/decode.loss_hier.traffic_sign_front'].current() \
        == 0
    metrics = runner.val_loop.run()
    for key in ('mIoU', 'mPA', 'aAcc', 'L1.mIoU', 'hAcc'):
        assert 0 <= metrics[key] <= 100, key
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_4.pth'))
