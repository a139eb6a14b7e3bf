# Copyright (c) mmhier contributors. All rights reserved.
from . import samplers, transforms  # noqa: F401
from . import reid  # noqa: F401
from .base_hier_dataset import HierBaseSegDataset  # noqa: F401
from .cityscapes import HierCityscapesDataset  # noqa: F401
from .cityscapes_extended import CityscapesExtendedDataset  # noqa: F401
from .concat_dataset import HierConcatDataset  # noqa: F401
from .gtsdb import GTSDBDataset  # noqa: F401
from .mapillary_vistas import HierMapillaryVistasDataset  # noqa: F401
