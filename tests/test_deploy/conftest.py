# Copyright (c) mmhier contributors. All rights reserved.
"""Tiny checkpoints for the deployment tests, from the shipped tiny configs
with random weights: the hierarchical model, its flat baseline and the
hierarchical model with 50% of its backbone channels pruned (a checkpoint
with a pruning history, as ``PruningHook`` writes it)."""
import os
import os.path as osp

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HIER = 'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'
FLAT = 'configs/flat/flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'


def randomize(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """The configs' initialisation (``init_weights``), random BN statistics
    and larger classifier weights, so that the classes and every level's
    decision vary over the image (the configs' classifiers start
    near-uniform)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.init_weights()
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) +
                               0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
                m.running_mean.copy_(
                    torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=gen) + 0.5)
            elif name.startswith('decode_head') and isinstance(
                    m, torch.nn.Conv2d) and m.out_channels < 100 and (
                        'classifiers' in name or 'conv_seg' in name):
                m.weight.copy_(
                    torch.randn(m.weight.shape, generator=gen) * 0.1)
        tree = getattr(model.decode_head, 'tree', None)
        if tree is not None:
            # centre every class's mean logit on a random image, so that no
            # class wins everywhere (the classes' mean logits differ more
            # than their spread over the image), then route pixels to the
            # deeper classifiers too
            model.eval()
            head = model.decode_head
            outs = head.forward_classifiers(
                model.extract_feat(
                    torch.randn(1, 3, 64, 96, generator=gen)))
            for conv, out in zip(head.classifiers, outs):
                conv.bias.sub_(out.mean((0, 2, 3)))
            for j, conv in enumerate(model.decode_head.classifiers):
                slots = tree.classifier_offsets[j] + torch.arange(
                    conv.out_channels)
                inner = [tree.node_own_classifier[tree.slot_nodes[s]] >= 0
                         for s in slots.tolist()]
                conv.bias.add_(5.0 * torch.tensor(inner, dtype=torch.float))
    return model.eval()


@pytest.fixture(scope='session')
def repo_cwd():
    """Run from the repository root (taxonomy paths are repo-relative)."""
    old = os.getcwd()
    os.chdir(REPO)
    yield REPO
    os.chdir(old)


@pytest.fixture(scope='session')
def tiny_checkpoints(repo_cwd, tmp_path_factory):
    """``{'hier' | 'flat' | 'pruned': (config, checkpoint)}``."""
    from mmhier.apis import init_model
    from mmhier.pruning import PruningHistory, PruningPlanner
    tmp = tmp_path_factory.mktemp('deploy_ckpts')
    out = {}
    for key, config, seed in (('hier', HIER, 0), ('flat', FLAT, 1),
                              ('pruned', HIER, 2)):
        torch.manual_seed(seed)
        model = randomize(init_model(config), seed)
        meta = {}
        if key == 'pruned':
            planner = PruningPlanner(
                layers=[r'^backbone\.'], ignored_layers=[r'^decode_head\.'])
            ops = planner.step(model, torch.randn(1, 3, 64, 64), 0.5)
            model.eval()
            meta['pruning_history'] = PruningHistory([
                dict(source='test', module='', targets=[''], ratio=0.5,
                     step=1, num_steps=1, ops=ops)
            ]).to_meta()
        path = str(tmp / f'{key}.pth')
        torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
        out[key] = (config, path)
    return out


#: test pipeline scale of the deployment tests: small images stay small
#: (64x96 keeps its size; 48x80 is resized to 64x107, then back)
SMALL_TEST_SCALE = {'test_pipeline.1.scale': (128, 64)}


@pytest.fixture(scope='session')
def tiny_models(tiny_checkpoints):
    """``{key: model}`` loaded through ``mmhier.apis.init_model`` (the
    pruned one replays its history), with the small test scale."""
    from mmhier.apis import init_model
    return {
        key: init_model(config, ckpt, cfg_options=SMALL_TEST_SCALE)
        for key, (config, ckpt) in tiny_checkpoints.items()
    }


@pytest.fixture(scope='session')
def tiny_graphs(tiny_models, tmp_path_factory):
    """``{key: (onnx file, decision)}``: dynamic-shape graphs with all
    outputs; ``hier`` greedy, ``hier_soft``, ``flat``, ``pruned`` greedy."""
    from mmhier.deploy import export_onnx
    tmp = tmp_path_factory.mktemp('deploy_graphs')
    out = {}
    for key, model, decision in (('hier', 'hier', 'greedy'),
                                 ('hier_soft', 'hier', 'soft'),
                                 ('flat', 'flat', 'soft'),
                                 ('pruned', 'pruned', 'greedy')):
        path = str(tmp / f'{key}.onnx')
        export_onnx(
            tiny_models[model],
            path,
            shape=(64, 96),
            batch_size=2,
            dynamic_shape=True,
            decision=decision)
        out[key] = (path, decision)
    return out
