# Copyright (c) mmhier contributors. All rights reserved.
"""Command-line handling shared by ``tools/train.py`` and ``tools/test.py``
(imported from the scripts' own folder, which Python puts first on
``sys.path``): the options both take, their merge into the config, and the
runner built from the config."""
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def add_runner_arguments(parser):
    """``--cfg-options``, ``--launcher`` and the local rank torchrun
    passes (``--local-rank``, torch >= 2.0, or ``LOCAL_RANK``)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser):
    """Parse the command line; a ``--local-rank`` given there becomes
    ``LOCAL_RANK`` unless the launcher has set it."""
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_runner_args(cfg: Config, args) -> Config:
    """Merge ``--launcher``, ``--cfg-options`` and ``--work-dir`` into the
    config (work_dir priority: command line > config file > config file
    name)."""
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def build_runner(cfg: Config, data_keys):
    """Check the data paths of the dataloaders ``data_keys`` (a wrong
    data_root fails here, naming the dataset and the config key), set up
    CPU distributed training when asked, and build the config's runner
    (``runner_type`` or MMEngine's ``Runner``)."""
    # Imported late so that `--help` works without the OpenMMLab stack.
    from mmhier.datasets.data_paths import check_config_data_paths
    from mmhier.registry import RUNNERS
    from mmhier.utils import drop_building_blocks, setup_cpu_distributed
    check_config_data_paths(cfg, data_keys)
    setup_cpu_distributed(cfg)
    # the log and the dumped config show what the run uses, once
    drop_building_blocks(cfg)
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)
