# Copyright (c) mmhier contributors. All rights reserved.
"""When PruningHook's Taylor pass runs on an MMT re-ID model whose loss
needs pseudo labels that the clustering has not made yet (tiny MMT on the
synthetic target set, one process)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmhier  # noqa: F401
from mmhier.registry import HOOKS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', 'mmt',
                  'mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py')


@HOOKS.register_module(force=True)
class RecordPeerWidthHook(Hook):
    """Before each iteration, after every other hook: the width of peer1's
    first conv and whether the model has pseudo labels."""
    priority = 'LOWEST'

    def __init__(self):
        self.seen = []
        self.first_centroids = self.first_classifiers = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        self.seen.append((model.peer1.backbone.layer1[0].conv1.out_channels,
                          model.loss_ready))
        if runner.iter == 0 and model.loss_ready:
            self.first_centroids = _centroids(runner)
            self.first_classifiers = [
                net.head.classifier.weight.detach().clone()
                for net in model.peers + model.mean_nets
            ]


def _centroids(runner):
    """L2-normalised means, per pseudo label, of the model's clustering
    features of the target train set (what the classifiers were reset to)."""
    model = runner.model
    cluster = [h for h in runner.hooks
               if type(h).__name__ == 'ClusterPseudoLabelHook'][0]
    feats = torch.zeros(len(model.pseudo_labels), model.peer1.head.in_channels)
    for data in cluster._dataloader:
        data = model.data_preprocessor(data, False)
        idx = [int(s.sample_idx) for s in data['data_samples']]
        feats[idx] = model.cluster_features(data['inputs'])
    labels = model.pseudo_labels
    means = torch.stack([feats[labels == c].mean(0)
                         for c in range(int(labels.max()) + 1)])
    return torch.nn.functional.normalize(means, dim=1)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    from mmhier.datasets.synthetic import generate
    out = tmp_path_factory.mktemp('synthetic')
    generate(str(out), seed=0, num_reid_train_ids=8, num_reid_test_ids=4,
             datasets=['reid_target'])
    return osp.join(str(out), 'reid_target')


def _run(root, work_dir, importance, cluster_by_epoch):
    cfg = Config.fromfile(CONFIG)
    cfg.model.peer_init = None
    cfg.model.model.head.num_classes = 6
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.sampler.iters_per_epoch = 2
    for loader in (cfg.train_dataloader, cfg.val_dataloader,
                   cfg.test_dataloader):
        loader.dataset.data_root = root
    cluster = cfg.custom_hooks[0]
    cluster.dataloader.dataset.data_root = root
    cluster.update(num_clusters=6, by_epoch=cluster_by_epoch, interval=2)
    cfg.custom_hooks = [
        cluster,
        dict(type='PruningHook', ratio=0.5, importance=importance,
             layers=[r'^backbone\.'], module='peer1',
             replicate_to=['peer2', 'mean1', 'mean2']),
        dict(type='RecordPeerWidthHook')
    ]
    cfg.train_cfg.update(max_epochs=1, val_interval=10)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10)
    cfg.work_dir = str(work_dir)
    runner = Runner.from_cfg(cfg)
    assert not runner.model.loss_ready  # no pseudo labels before training
    runner.train()
    recorder = [h for h in runner.hooks
                if isinstance(h, RecordPeerWidthHook)][0]
    return runner, recorder.seen


def test_taylor_step_waits_for_epoch_clustering(root, tmp_path):
    """Per-epoch clustering runs in before_train_epoch: the step due in
    before_train runs before the first iteration, with the pseudo labels
    of the first clustering."""
    runner, seen = _run(root, tmp_path, 'taylor', cluster_by_epoch=True)
    assert seen == [(8, True), (8, True)]
    head = runner.model.mean2.head
    assert head.in_channels == head.bnneck.num_features == 64
    assert runner.model.pseudo_labels.numel() > 0


def test_taylor_step_waits_for_iteration_clustering(root, tmp_path):
    """Per-iteration clustering runs in before_train_iter after
    PruningHook's: the first iteration trains the unpruned model, the step
    runs after it."""
    _, seen = _run(root, tmp_path, 'taylor', cluster_by_epoch=False)
    assert seen == [(16, True), (8, True)]


def test_magnitude_step_does_not_wait(root, tmp_path):
    """Magnitude importance needs no loss: the step runs in before_train and
    the first clustering already sees the pruned nets (their centroids
    have the new width)."""
    runner, seen = _run(root, tmp_path, 'magnitude', cluster_by_epoch=True)
    assert seen == [(8, True), (8, True)]
    recorder = [h for h in runner.hooks
                if isinstance(h, RecordPeerWidthHook)][0]
    # the first clustering's 64-d centroids of the pruned mean nets'
    # features became the classifiers of all four nets
    centroids = recorder.first_centroids
    assert centroids.shape == (6, 64)
    assert len(recorder.first_classifiers) == 4
    for weight in recorder.first_classifiers:
        torch.testing.assert_close(weight, centroids, rtol=0, atol=1e-4)
    for net in runner.model.peers + runner.model.mean_nets:
        assert net.head.classifier.weight.shape == (6, 64)
