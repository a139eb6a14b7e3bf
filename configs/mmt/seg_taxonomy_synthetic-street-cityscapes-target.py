# The synthetic street tree plus the unlabelled target domain of the
# segmentation MMT configs: `cityscapes_target` (data/synthetic/
# cityscapes_target, Cityscapes layout and labelIds, other colours, lighting,
# textures and camera height). It reads Cityscapes' label list (base=) and is
# eval_only: its labels are used for evaluation, never for training; the
# separate name lets MMT tell target samples from source ones by
# `dataset_name`.
_base_ = ['../_base_/taxonomies/synthetic_street.py']

taxonomy = dict(
    datasets=dict(cityscapes_target=dict(base='cityscapes', eval_only=True)))
