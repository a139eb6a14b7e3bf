# Copyright (c) mmhier contributors. All rights reserved.
from mmhier.registry import DATASETS
from .cityscapes import HierCityscapesDataset


@DATASETS.register_module()
class CityscapesExtendedDataset(HierCityscapesDataset):
    """Cityscapes images whose traffic-sign pixels carry GTSDB classes.

    The paper's "Cityscapes Extended" split: never trained on, it measures
    whether sign subclasses learnt from GTSDB boxes transfer to the signs of
    another dataset. The Cityscapes layout with one more label file per
    image, ``*_gtFine_trafficSignIds.png``: the GTSDB class id (0..42) on
    traffic-sign pixels and 255 elsewhere. The tree entry (default
    ``'cityscapes_extended'``) maps those ids to the GTSDB class nodes and
    declares 255 in ``ignore_ids``, e.g.
    ``cityscapes_extended=dict(base='gtsdb', annotation='pixel',
    ignore_ids=[255], eval_only=True)``.

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        dataset_name (str): Defaults to ``'cityscapes_extended'``.
        seg_map_suffix (str): Defaults to ``'_gtFine_trafficSignIds.png'``.
        **kwargs: See :class:`HierCityscapesDataset`.
    """

    def __init__(self,
                 taxonomy,
                 dataset_name: str = 'cityscapes_extended',
                 seg_map_suffix: str = '_gtFine_trafficSignIds.png',
                 **kwargs) -> None:
        super().__init__(
            taxonomy=taxonomy,
            dataset_name=dataset_name,
            seg_map_suffix=seg_map_suffix,
            **kwargs)
