# Copyright (c) mmhier contributors. All rights reserved.
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from torch.utils.data import Dataset

from mmhier.engine.hooks import ClusterPseudoLabelHook
from mmhier.registry import MODELS

# the stand-in re-ID net shared with tests/test_models/test_uda
_TOY = Path(__file__).parents[2] / 'test_models' / 'test_uda' / 'toy_reid.py'
_spec = importlib.util.spec_from_file_location('mmhier_test_toy_reid', _TOY)
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))

# three well separated groups of 4-D features, groups 0/1/2 interleaved
GROUPS = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
CENTRES = np.array([[1., 0, 0, 0], [0, 1., 0, 0], [0, 0, 1., 0]])
FEATS = torch.tensor(
    CENTRES[GROUPS] + 0.01 * np.random.RandomState(0).randn(12, 4),
    dtype=torch.float32)


class IndexImages(Dataset):
    """Images whose pixels hold their own index (the crafted features are
    looked up from it)."""

    def __len__(self):
        return len(FEATS)

    def __getitem__(self, i):
        return dict(
            inputs=torch.full((3, 2, 2), float(i)),
            data_samples=DataSample(metainfo=dict(sample_idx=i)))


def batch_samples(n):
    return [DataSample(metainfo=dict(sample_idx=i)) for i in range(n)]


class RecordingSampler:

    def __init__(self):
        self.calls = []

    def set_labels(self, labels):
        self.calls.append(np.asarray(labels).copy())


def make_runner(mode='kmeans', **hook_kwargs):
    model = MODELS.build(
        dict(
            type='MMT',
            model=dict(type='ToyReIDNet', feat_dim=4, num_classes=5),
            data_preprocessor=dict(type='mmpretrain.SelfSupDataPreprocessor')))
    model.init_weights()
    # crafted features instead of the mean nets' ones
    model.cluster_features = lambda x: FEATS[x[:, 0, 0, 0].long()]
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    # one step so that Adam has state for the old classifiers
    model.set_pseudo_labels(torch.zeros(12, dtype=torch.long))
    model.set_pseudo_labels(torch.tensor([0, 1, 2, 3, 4] * 2 + [0, 1]))
    loss, _ = model.parse_losses(
        model.loss([torch.randn(6, 3, 2, 2)] * 2, batch_samples(6)))
    optim.update_params(loss)
    runner = SimpleNamespace(
        model=model,
        optim_wrapper=optim,
        train_dataloader=SimpleNamespace(sampler=RecordingSampler()),
        build_dataloader=Runner.build_dataloader,
        seed=0,
        epoch=3,
        iter=1200)
    dataloader = dict(
        dataset=IndexImages(),
        batch_size=5,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'))
    hook = ClusterPseudoLabelHook(
        dataloader=dataloader, mode=mode, **hook_kwargs)
    return runner, hook


def same_partition(a, b):
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist()))
    return len(pairs) == len(set(np.asarray(a).tolist())) == len(
        set(np.asarray(b).tolist()))


@pytest.mark.parametrize('mode,kwargs', [
    ('kmeans', dict(num_clusters=3, backend='sklearn', kmeans_n_init=3)),
    ('dbscan', dict(eps=0.5, min_samples=2, k1=4, k2=2)),
])
def test_cluster_labels_centroids_classifiers_optimizer_sampler(mode, kwargs):
    runner, hook = make_runner(mode, **kwargs)
    model, optimizer = runner.model, runner.optim_wrapper.optimizer
    old_classifier = model.peer1.classifier.weight
    assert len(optimizer.state) > 0
    hook.before_train(runner)  # pushes the pre-set labels (resume path)
    assert len(runner.train_dataloader.sampler.calls) == 1
    hook.before_train_epoch(runner)

    labels = model.pseudo_labels.numpy()
    assert same_partition(labels, GROUPS)
    # sampler relabelled with the same labels
    np.testing.assert_array_equal(runner.train_dataloader.sampler.calls[-1],
                                  labels)
    # classifiers of all four nets = normalised group means, row = label
    for name in ('peer1', 'peer2', 'mean1', 'mean2'):
        weight = getattr(model, name).classifier.weight
        assert weight.shape == (3, 4)
        assert weight.requires_grad == name.startswith('peer')
        for c in range(3):
            group_feats = FEATS[torch.from_numpy(labels == c)]
            if mode == 'dbscan':  # DBSCAN clusters normalised features
                group_feats = F.normalize(group_feats, dim=1)
            torch.testing.assert_close(
                weight[c], F.normalize(group_feats.mean(0), dim=0),
                atol=1e-4, rtol=0)
    # optimizer: state reset, param groups hold exactly the model's params
    assert len(optimizer.state) == 0
    opt_params = {id(p) for g in optimizer.param_groups for p in g['params']}
    assert opt_params == {id(p) for p in model.parameters()}
    assert id(old_classifier) not in opt_params
    # and the new classifier is trained by the next step
    before = model.peer1.classifier.weight.detach().clone()
    loss, _ = model.parse_losses(
        model.loss([torch.randn(6, 3, 2, 2)] * 2, batch_samples(6)))
    runner.optim_wrapper.update_params(loss)
    assert not torch.equal(before, model.peer1.classifier.weight)


def test_fewer_than_two_clusters_stops_training():
    runner, hook = make_runner('dbscan', eps=0.5, min_samples=20, k1=4, k2=2)
    with pytest.raises(RuntimeError, match=r'epoch 3 found 0 cluster\(s\)'):
        hook.before_train_epoch(runner)


def test_many_outliers_warn(monkeypatch):
    import mmhier.engine.hooks.cluster_pseudo_label_hook as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, logger=None, level=20: logged.append(
                            (level, msg)))
    runner, hook = make_runner('dbscan', eps=0.5, min_samples=2, k1=4, k2=2,
                               max_outlier_ratio=0.0)
    feats = FEATS.clone()
    feats[0] = torch.tensor([0, 0, 0, 1.])  # an isolated sample
    runner.model.cluster_features = lambda x: feats[x[:, 0, 0, 0].long()]
    hook.before_train_epoch(runner)
    assert runner.model.pseudo_labels[0] == -1
    warnings = [msg for level, msg in logged if level == 30]
    assert len(warnings) == 1
    assert '1 of 12 target samples are outliers' in warnings[0]


def test_iter_based_interval():
    runner, hook = make_runner(
        'kmeans', num_clusters=3, backend='sklearn', by_epoch=False,
        interval=400)
    hook.before_train_epoch(runner)
    runner.iter = 1201
    hook.before_train_iter(runner, batch_idx=1)
    assert len(runner.train_dataloader.sampler.calls) == 0
    runner.iter = 1200
    hook.before_train_iter(runner, batch_idx=0)
    assert len(runner.train_dataloader.sampler.calls) == 1


def test_resume_resizes_classifiers_before_loading():
    runner, hook = make_runner('kmeans', num_clusters=3, backend='sklearn')
    hook.before_train_epoch(runner)  # 3 clusters
    checkpoint = dict(
        state_dict=runner.model.state_dict(),
        optimizer=runner.optim_wrapper.state_dict(),
        meta=dict())
    # a fresh run with a 5-class classifier resumes from it
    fresh, _ = make_runner('kmeans', num_clusters=3, backend='sklearn')
    hook.after_load_checkpoint(fresh, checkpoint)
    assert fresh.model.peer2.classifier.weight.shape == (3, 4)
    fresh.model.load_state_dict(checkpoint['state_dict'])
    fresh.optim_wrapper.load_state_dict(checkpoint['optimizer'])
    opt_params = {
        id(p)
        for g in fresh.optim_wrapper.optimizer.param_groups
        for p in g['params']
    }
    assert opt_params == {id(p) for p in fresh.model.parameters()}
    hook.before_train(fresh)
    np.testing.assert_array_equal(fresh.train_dataloader.sampler.calls[-1],
                                  runner.model.pseudo_labels.numpy())


def test_incomplete_cluster_loader_is_an_error():
    runner, hook = make_runner('kmeans', num_clusters=3, backend='sklearn')
    hook.dataloader_cfg['drop_last'] = True
    with pytest.raises(RuntimeError, match='no feature for samples'):
        hook.before_train_epoch(runner)


def test_iter_based_loop_needs_by_epoch_false():
    from mmengine.runner import IterBasedTrainLoop
    runner, hook = make_runner('kmeans', num_clusters=3)
    runner.train_loop = IterBasedTrainLoop.__new__(IterBasedTrainLoop)
    with pytest.raises(ValueError, match='by_epoch=False'):
        hook.before_train(runner)


def test_model_wrapper_is_rebuilt_when_parameters_change():
    from mmengine.model import BaseModel
    from mmhier.registry import MODEL_WRAPPERS

    @MODEL_WRAPPERS.register_module(force=True)
    class FakeDDP(BaseModel):

        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, *args, **kwargs):
            return self.module(*args, **kwargs)

    runner, hook = make_runner('kmeans', num_clusters=3, backend='sklearn')
    inner = runner.model
    runner.model = FakeDDP(inner)
    wrapped = []
    runner.cfg = dict(model_wrapper_cfg=dict(type='FakeDDP'))
    runner.wrap_model = lambda cfg, model: wrapped.append(
        (cfg, model)) or FakeDDP(model)
    hook.before_train_epoch(runner)
    # ToyReIDNet re-creates its classifier: the wrapper is rebuilt around
    # the same inner model
    assert wrapped == [(dict(type='FakeDDP'), inner)]
    assert runner.model.module is inner


def test_cluster_loader_must_give_one_tensor():
    runner, hook = make_runner('kmeans', num_clusters=3, backend='sklearn')
    hook.dataloader_cfg['collate_fn'] = dict(type='pseudo_collate')
    with pytest.raises(TypeError, match='default_collate'):
        hook.before_train_epoch(runner)
