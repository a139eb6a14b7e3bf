# Copyright (c) mmhier contributors. All rights reserved.
from .base_reid import BaseReIDDataset
from .dukemtmc import DukeMTMCDataset
from .image_folder import ImageFolderReIDDataset
from .market1501 import Market1501Dataset
from .msmt17 import MSMT17Dataset

__all__ = [
    'BaseReIDDataset', 'ImageFolderReIDDataset', 'Market1501Dataset',
    'DukeMTMCDataset', 'MSMT17Dataset'
]
