# Copyright (c) mmhier contributors. All rights reserved.
import pytest
import torch.distributed as dist
from mmengine.config import Config

from mmhier.utils import setup_cpu_distributed, teardown_distributed


def test_teardown_destroys_the_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)
    assert dist.is_initialized()
    teardown_distributed()
    assert not dist.is_initialized()
    teardown_distributed()  # a second call (not distributed) is a no-op


def test_setup_is_a_noop_without_the_pytorch_launcher():
    cfg = Config(dict(launcher='none'))
    assert setup_cpu_distributed(cfg) is False
    assert 'model_wrapper_cfg' not in cfg


def test_setup_names_the_missing_variable(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr('torch.cuda.is_available', lambda: False)
    with pytest.raises(RuntimeError, match='RANK'):
        setup_cpu_distributed(Config(dict(launcher='pytorch')))
