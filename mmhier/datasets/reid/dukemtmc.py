# Copyright (c) mmhier contributors. All rights reserved.
from mmhier.registry import DATASETS
from .image_folder import ImageFolderReIDDataset


@DATASETS.register_module()
class DukeMTMCDataset(ImageFolderReIDDataset):
    """DukeMTMC-reID (Ristani et al., 2016; Zheng et al., ICCV 2017).

    ``data_root`` is the ``DukeMTMC-reID`` folder with
    ``bounding_box_train/`` (16,522 images, 702 ids), ``query/`` (2,228)
    and ``bounding_box_test/`` (17,661). Names are ``PPPP_cC_fFFFFFFF.jpg``:
    person id, camera 1..8, frame.

    See :class:`BaseReIDDataset` for the items and the junk protocol.
    """

    NUM_CAMERAS = 8
