# cvg_datasets.py on the synthetic street scenes
# (tools/dataset_converters/generate_synthetic.py --out-dir data/synthetic):
# same layouts, same dataset classes and pipelines, the small synthetic tree,
# images scaled to the synthetic Cityscapes size (256x128) and 128x128 crops
# so that a tiny model trains on a CPU.
_base_ = ['./cvg_datasets.py']

dataset_taxonomy = 'configs/_base_/taxonomies/synthetic_street.py'
scale = (256, 128)  # (w, h): the synthetic Cityscapes size
crop_size = (128, 128)  # (h, w)
meta_keys = _base_.meta_keys

pixel_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
pixel_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadHierAnnotations'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
gtsdb_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='box', label_type='weak'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='SignAwareRandomCrop', crop_size=crop_size, prob=1.0),
    # no RandomFlip: mirroring turns e.g. 'bend left' into 'bend right'
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
gtsdb_flat_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='shape', label_type='pixel'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='SignAwareRandomCrop', crop_size=crop_size, prob=1.0),
    # no RandomFlip: mirroring turns e.g. 'bend left' into 'bend right'
    dict(type='PackSegInputs', meta_keys=meta_keys),
]
gtsdb_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='box', label_type='weak'),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]

cityscapes_train = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/cityscapes',
    pipeline=pixel_train_pipeline)
cityscapes_val = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/cityscapes',
    pipeline=pixel_test_pipeline)
vistas_train = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/mapillary_vistas',
    pipeline=pixel_train_pipeline)
vistas_val = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/mapillary_vistas',
    pipeline=pixel_test_pipeline)
gtsdb_train = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/gtsdb',
    pipeline=gtsdb_train_pipeline)
gtsdb_flat_train = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/gtsdb',
    pipeline=gtsdb_flat_train_pipeline)
gtsdb_val = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/gtsdb',
    pipeline=gtsdb_test_pipeline)
cityscapes_extended_val = dict(
    taxonomy=dataset_taxonomy,
    data_root='data/synthetic/cityscapes_extended',
    pipeline=pixel_test_pipeline)

# the synthetic tree has no 27-class Cityscapes view
dataset_eval_views = dict(cityscapes=['cityscapes', 'cityscapes19'])
