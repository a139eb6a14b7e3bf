# Copyright (c) mmhier contributors. All rights reserved.
"""mmhier's registries.

mmhier is a downstream package of MMSegmentation the way mmyolo is one of
MMDetection: every registry below is a *child* of the matching mmseg registry
(which is itself a child of MMEngine's root). With ``default_scope='mmhier'``
a config can therefore name mmhier components (``HierarchicalDecodeHead``),
mmseg components (``EncoderDecoder``, ``ResNetV1c``, ``LoadAnnotations``) and
MMEngine components (``IterBasedTrainLoop``, ``CheckpointHook``) without a
prefix, and reach sibling packages with a scope prefix
(``mmpretrain.ResNet``, ``mmdet.MultiSourceSampler``).

A config needs only::

    default_scope = 'mmhier'
    custom_imports = dict(imports=['mmhier'], allow_failed_imports=False)

(both are set by ``configs/_base_/default_runtime.py``). A config that keeps
``default_scope='mmseg'`` can still use our components as
``type='mmhier.HierarchicalDecodeHead'``.
"""
from mmengine.registry import Registry
from mmseg.registry import DATA_SAMPLERS as MMSEG_DATA_SAMPLERS
from mmseg.registry import DATASETS as MMSEG_DATASETS
from mmseg.registry import EVALUATOR as MMSEG_EVALUATOR
from mmseg.registry import HOOKS as MMSEG_HOOKS
from mmseg.registry import INFERENCERS as MMSEG_INFERENCERS
from mmseg.registry import LOG_PROCESSORS as MMSEG_LOG_PROCESSORS
from mmseg.registry import LOOPS as MMSEG_LOOPS
from mmseg.registry import METRICS as MMSEG_METRICS
from mmseg.registry import MODEL_WRAPPERS as MMSEG_MODEL_WRAPPERS
from mmseg.registry import MODELS as MMSEG_MODELS
from mmseg.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMSEG_OPTIM_WRAPPER_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPERS as MMSEG_OPTIM_WRAPPERS
from mmseg.registry import OPTIMIZERS as MMSEG_OPTIMIZERS
from mmseg.registry import PARAM_SCHEDULERS as MMSEG_PARAM_SCHEDULERS
from mmseg.registry import RUNNER_CONSTRUCTORS as MMSEG_RUNNER_CONSTRUCTORS
from mmseg.registry import RUNNERS as MMSEG_RUNNERS
from mmseg.registry import TASK_UTILS as MMSEG_TASK_UTILS
from mmseg.registry import TRANSFORMS as MMSEG_TRANSFORMS
from mmseg.registry import VISBACKENDS as MMSEG_VISBACKENDS
from mmseg.registry import VISUALIZERS as MMSEG_VISUALIZERS
from mmseg.registry import \
    WEIGHT_INITIALIZERS as MMSEG_WEIGHT_INITIALIZERS

RUNNERS = Registry('runner', parent=MMSEG_RUNNERS,
                   locations=['mmhier.engine'])
RUNNER_CONSTRUCTORS = Registry('runner constructor',
                               parent=MMSEG_RUNNER_CONSTRUCTORS,
                               locations=['mmhier.engine'])
LOOPS = Registry('loop', parent=MMSEG_LOOPS, locations=['mmhier.engine'])
HOOKS = Registry('hook', parent=MMSEG_HOOKS,
                 locations=['mmhier.engine.hooks'])

DATASETS = Registry('dataset', parent=MMSEG_DATASETS,
                    locations=['mmhier.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMSEG_DATA_SAMPLERS,
                         locations=['mmhier.datasets.samplers'])
TRANSFORMS = Registry('transform', parent=MMSEG_TRANSFORMS,
                      locations=['mmhier.datasets.transforms'])

MODELS = Registry('model', parent=MMSEG_MODELS, locations=['mmhier.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMSEG_MODEL_WRAPPERS,
                          locations=['mmhier.engine'])
WEIGHT_INITIALIZERS = Registry('weight initializer',
                               parent=MMSEG_WEIGHT_INITIALIZERS,
                               locations=['mmhier.models'])

OPTIMIZERS = Registry('optimizer', parent=MMSEG_OPTIMIZERS,
                      locations=['mmhier.engine.optimizers'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMSEG_OPTIM_WRAPPERS,
                          locations=['mmhier.engine.optimizers'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMSEG_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmhier.engine.optimizers'])
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMSEG_PARAM_SCHEDULERS,
                            locations=['mmhier.engine.optimizers'])

METRICS = Registry('metric', parent=MMSEG_METRICS,
                   locations=['mmhier.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMSEG_EVALUATOR,
                     locations=['mmhier.evaluation'])

TASK_UTILS = Registry('task util', parent=MMSEG_TASK_UTILS,
                      locations=['mmhier.models'])
VISUALIZERS = Registry('visualizer', parent=MMSEG_VISUALIZERS,
                       locations=['mmhier.visualization'])
VISBACKENDS = Registry('vis_backend', parent=MMSEG_VISBACKENDS,
                       locations=['mmhier.visualization'])
LOG_PROCESSORS = Registry('log_processor', parent=MMSEG_LOG_PROCESSORS,
                          locations=['mmhier.engine'])
INFERENCERS = Registry('inferencer', parent=MMSEG_INFERENCERS,
                       locations=['mmhier.apis'])
