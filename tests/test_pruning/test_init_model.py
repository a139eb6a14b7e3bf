# Copyright (c) mmhier contributors. All rights reserved.
import pytest
import torch
from pruning_tiny_models import (build, prune_and_save, segmentor_cfg,
                                 write_model_config)

from mmhier.apis import init_model
from mmhier.pruning import (export_pruned_model, load_exported_model,
                            tensor_forward)


@pytest.fixture(scope='module')
def pruned_ckpt(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('init_model')
    ckpt = tmp / 'pruned.pth'
    model = prune_and_save(build(segmentor_cfg()), ckpt,
                           dataset_meta=dict(classes=['a', 'b', 'c']))
    return model, str(ckpt), tmp


def test_init_pruned_model_matches(pruned_ckpt):
    model, ckpt, tmp = pruned_ckpt
    config = write_model_config(tmp / 'cfg.py', segmentor_cfg())
    loaded = init_model(config, ckpt)
    assert not loaded.training
    assert loaded.dataset_meta['classes'] == ('a', 'b', 'c')
    x = torch.randn(2, 3, 32, 32)
    for a, b in zip(tensor_forward(loaded, x), tensor_forward(model.eval(),
                                                              x)):
        assert torch.equal(a, b)


def test_init_pruned_model_rejects_other_config(pruned_ckpt):
    _, ckpt, tmp = pruned_ckpt
    cfg = segmentor_cfg()
    cfg['decode_head']['channels'] = 24  # concat_input: 64 + 24 inputs
    config = write_model_config(tmp / 'other.py', cfg)
    with pytest.raises(ValueError, match=r"'decode_head\.conv_cat\.conv'.*"
                       r'has 88 input channels.*expects 80'):
        init_model(config, ckpt)
    cfg = segmentor_cfg()
    cfg['decode_head']['num_classes'] = 4  # not in the history: strict load
    config = write_model_config(tmp / 'classes.py', cfg)
    with pytest.raises(KeyError, match=r'pruned\.pth does not fit the model '
                       r'of .*classes\.py.*conv_seg'):
        init_model(config, ckpt)


def test_export_is_explicit_pickle(pruned_ckpt, tmp_path):
    model, _, _ = pruned_ckpt
    path = str(tmp_path / 'whole.pkl')
    export_pruned_model(model, path)
    with pytest.raises(Exception):
        torch.load(path, weights_only=True)  # code, not plain data
    with pytest.warns(UserWarning, match='weights_only=False'):
        again = load_exported_model(path)
    x = torch.randn(1, 3, 32, 32)
    assert torch.equal(
        tensor_forward(again.eval(), x)[0],
        tensor_forward(model.eval(), x)[0])
