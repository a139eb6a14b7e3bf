# Copyright (c) mmhier contributors. All rights reserved.
from mmhier.registry import DATASETS
from .image_folder import ImageFolderReIDDataset


@DATASETS.register_module()
class Market1501Dataset(ImageFolderReIDDataset):
    """Market-1501 (Zheng et al., ICCV 2015).

    ``data_root`` holds ``bounding_box_train/`` (12,936 images, 751 ids),
    ``query/`` (3,368) and ``bounding_box_test/`` (15,913 incl. distractors
    ``0000_*`` and junk ``-1_*``). Names are ``PPPP_cCsS_FFFFFF_NN.jpg``:
    person id, camera 1..6, sequence, frame, box index.

    See :class:`BaseReIDDataset` for the items and the junk protocol.
    """

    NUM_CAMERAS = 6
