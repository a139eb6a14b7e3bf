# Copyright (c) mmhier contributors. All rights reserved.
"""Taylor pruning of the MMT re-ID model (two peers, two mean nets), then
clustering and training on the pruned nets, then ``--resume`` from an
epoch checkpoint: the four nets and the pseudo labels equal those of the
uninterrupted run, and everything after the pruned backbone (BNNeck,
classifier, the centroids of ``reset_classifiers``) has the new width."""
import shutil

import torch
from tiny_train_configs import MMT_TINY, config_text, mmt_taylor_pruning

from mmhier.datasets.synthetic import generate

NETS = ('peer1', 'peer2', 'mean1', 'mean2')


def _write_config(path, root):
    # mmengine seeds each worker from (seed, rank, worker id) when it starts:
    # non-persistent workers restart every epoch with the same seeds, so a
    # resumed epoch draws the same augmentations
    path.write_text(config_text(
        MMT_TINY,
        mmt_taylor_pruning(
            root, max_epochs=3, num_workers=1,
            checkpoint='interval=1, max_keep_ckpts=-1, save_best=None'),
        'randomness = dict(seed=0, deterministic=True)\n'))


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_prune_cluster_train_resume_equals_uninterrupted(tmp_path, tool):
    generate(str(tmp_path / 'data'), seed=0, num_reid_train_ids=8,
             num_reid_test_ids=4, datasets=['reid_target'])
    config = tmp_path / 'mmt_prune.py'
    _write_config(config, str(tmp_path / 'data' / 'reid_target'))

    full = tmp_path / 'full'
    log = tool('tools/train.py', str(config), '--work-dir',
               str(full)).stdout
    # the step due before training waited for the epoch-0 clustering, the
    # epoch-1 clustering ran on the pruned nets
    waited = log.index('PruningHook: step 1 is due')
    pruned = log.index('PruningHook step 1/1 on peer1')
    assert waited < log.index('ClusterPseudoLabelHook at epoch 0') < \
        pruned < log.index('ClusterPseudoLabelHook at epoch 1')

    ref = _load(full / 'epoch_3.pth')
    state = ref['state_dict']
    # half of the backbone's channels; the pooled feature, the BNNeck and
    # the classifier's input (hence the clustering centroids) follow
    width = state['peer1.backbone.layer4.1.conv2.weight'].shape[0]
    assert width == 64
    for net in NETS:
        assert state[f'{net}.backbone.layer1.0.conv1.weight'].shape[0] == 8
        assert state[f'{net}.backbone.layer4.1.conv2.weight'].shape[0] == \
            width
        for key in ('weight', 'bias', 'running_mean', 'running_var'):
            assert state[f'{net}.head.bnneck.{key}'].shape == (width, )
        assert state[f'{net}.head.classifier.weight'].shape == (6, width)
    assert len(ref['meta']['pruning_history']['records']) == 1

    # resume from the end of epoch 1 (pruned, trained, clustered once
    # after pruning): the resumed run replays the pruning before loading
    part = tmp_path / 'part'
    part.mkdir()
    shutil.copy(full / 'epoch_1.pth', part / 'epoch_1.pth')
    (part / 'last_checkpoint').write_text(str(part / 'epoch_1.pth'))
    log = tool('tools/train.py', str(config), '--work-dir', str(part),
               '--resume').stdout
    assert 'resumed epoch: 1' in log
    assert 'replayed 1 pruning records' in log
    assert 'PruningHook step' not in log  # not pruned a second time

    res = _load(part / 'epoch_3.pth')
    assert res['meta']['epoch'] == ref['meta']['epoch'] == 3
    assert res['state_dict'].keys() == state.keys()
    assert {k.split('.')[0] for k in state if '.' in k} == set(NETS)
    torch.testing.assert_close(res['state_dict']['pseudo_labels'],
                               state['pseudo_labels'], rtol=0, atol=0)
    assert len(set(state['pseudo_labels'].tolist()) - {-1}) == 6
    for key, value in state.items():
        torch.testing.assert_close(res['state_dict'][key], value, rtol=0,
                                   atol=1e-5, msg=key)
