# Copyright (c) mmhier contributors. All rights reserved.
from mmhier.registry import DATASETS
from .base_hier_dataset import HierBaseSegDataset


@DATASETS.register_module()
class HierCityscapesDataset(HierBaseSegDataset):
    """Cityscapes in its official layout, labels mapped into node space.

    Reads the *labelIds* (the 34 official ids, not the 19 ``trainIds``) so
    that every Cityscapes class reaches the taxonomy, which decides what is
    trained and what is evaluated (e.g. the 19- and 27-class views)::

        data/cityscapes/
          leftImg8bit/{train,val}/<city>/<city>_<seq>_<frame>_leftImg8bit.png
          gtFine/{train,val}/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        dataset_name (str): Tree entry of the label list. Defaults to
            ``'cityscapes'``.
        img_suffix (str): Defaults to ``'_leftImg8bit.png'``.
        seg_map_suffix (str): Defaults to ``'_gtFine_labelIds.png'``.
        **kwargs: See :class:`HierBaseSegDataset`; typically
            ``data_root='data/cityscapes'`` and ``data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train')``.
    """

    def __init__(self,
                 taxonomy,
                 dataset_name: str = 'cityscapes',
                 img_suffix: str = '_leftImg8bit.png',
                 seg_map_suffix: str = '_gtFine_labelIds.png',
                 **kwargs) -> None:
        super().__init__(
            taxonomy=taxonomy,
            dataset_name=dataset_name,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            **kwargs)
