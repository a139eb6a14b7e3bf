# Copyright (c) mmhier contributors. All rights reserved.
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from mmhier.engine.ddp_wrapper import CommHookDistributedDataParallel
from mmhier.registry import MODEL_WRAPPERS


@pytest.fixture
def gloo_group(tmp_path):
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/store',
                            rank=0, world_size=1)
    yield
    dist.destroy_process_group()


@pytest.mark.parametrize('comm_hook', [None, 'fp16', 'bf16'])
def test_cpu_ddp_with_comm_hook(gloo_group, comm_hook):
    torch.manual_seed(0)
    module = nn.Linear(4, 3)
    x = torch.randn(5, 4) * 3.3
    module(x).pow(2).sum().backward()
    reference = module.weight.grad.clone()
    module.zero_grad()
    # mmengine's Runner passes device_ids=[LOCAL_RANK] even on CPU.
    ddp = CommHookDistributedDataParallel(
        module=module, device_ids=[0], comm_hook=comm_hook,
        broadcast_buffers=False, bucket_cap_mb=1,
        gradient_as_bucket_view=True)
    ddp(x).pow(2).sum().backward()
    dtype = {None: torch.float32, 'fp16': torch.float16,
             'bf16': torch.bfloat16}[comm_hook]
    # The hook all-reduces the bucket in 16 bit: the gradient is rounded.
    expected = reference.to(dtype).float()
    assert torch.equal(module.weight.grad, expected)
    if comm_hook is not None:
        assert not torch.equal(module.weight.grad, reference)


def test_lookup_and_bad_hook():
    path = 'mmhier.engine.ddp_wrapper.CommHookDistributedDataParallel'
    # Runner.wrap_model looks the type up in mmengine's root registry.
    assert ROOT_MODEL_WRAPPERS.get(path) is CommHookDistributedDataParallel
    assert MODEL_WRAPPERS.get('CommHookDistributedDataParallel') is \
        CommHookDistributedDataParallel
    with pytest.raises(ValueError, match='comm_hook'):
        CommHookDistributedDataParallel(nn.Linear(1, 1), comm_hook='int8')
