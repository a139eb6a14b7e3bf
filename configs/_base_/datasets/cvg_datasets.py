# Cityscapes + Mapillary Vistas v1.2 + GTSDB (+ Cityscapes Extended for
# evaluation) in their official layouts, labels mapped into the node space of
# `dataset_taxonomy` (Meletis & Dubbelman, IV 2018). Building blocks only (no
# dataloader): the loader configs beside this file combine them, e.g.
# cvg_1x4_ratio121.py (the paper's 1:2:1 batches) or hier_cityscapes.py.
#
# Pipelines follow the paper: every image is first scaled to the (halved)
# Cityscapes size, 1024x512, then a 512x706 (h x w) crop is taken; GTSDB
# boxes are rasterised into weak labels before any geometric transform and
# its crop is centred on a sign pixel. Transforms that need the tree
# (LoadHierAnnotations, BoxToMask) get it from their dataset.
#
# Layout (paths relative to the repository root):
#   data/cityscapes/{leftImg8bit,gtFine}/{train,val}/<city>/...
#   data/mapillary_vistas/config_v1.2.json
#   data/mapillary_vistas/{training,validation}/{images,v1.2/labels}/...
#   data/gtsdb/{TrainIJCNN2013,TestIJCNN2013}/*.ppm + gt.txt
#   data/cityscapes_extended/{leftImg8bit,gtFine}/val/<city>/...
#       (gtFine also holds *_gtFine_trafficSignIds.png)
dataset_taxonomy = 'configs/_base_/taxonomies/cvg_cityscapes_vistas_gtsdb.py'
scale = (1024, 512)  # (w, h): Cityscapes halved
crop_size = (512, 706)  # (h, w)
# The dataset pipelines pack with PackHierSegInputs, whose default meta keys
# are mmseg's plus `dataset_name` (the per-dataset loss switches and metrics
# read it). `meta_keys` is the same list for a plain PackSegInputs: the
# inference `test_pipeline` (no dataset, so no `dataset_name` to insist on)
# and child configs' own pipelines.
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'dataset_name')

# per-pixel datasets (Cityscapes, Vistas)
pixel_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackHierSegInputs'),
]
pixel_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    # after Resize: the ground truth keeps its original resolution
    dict(type='LoadHierAnnotations'),
    dict(type='PackHierSegInputs'),
]
# box dataset (GTSDB): weak labels inside the boxes, ignore elsewhere
gtsdb_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='box', label_type='weak'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='SignAwareRandomCrop', crop_size=crop_size, prob=1.0),
    # no RandomFlip: mirroring turns e.g. 'bend left' into 'bend right'
    dict(type='PackHierSegInputs'),
]
# the flat baseline fills each sign's outline inside its box instead
gtsdb_flat_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='shape', label_type='pixel'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='SignAwareRandomCrop', crop_size=crop_size, prob=1.0),
    # no RandomFlip: mirroring turns e.g. 'bend left' into 'bend right'
    dict(type='PackHierSegInputs'),
]
gtsdb_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    # evaluation inside the boxes only: everything else is ignore
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='box', label_type='weak'),
    dict(type='PackHierSegInputs'),
]
gtsdb_outline_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    # evaluation on the sign outlines inside the boxes
    dict(type='LoadBoxAnnotations'),
    dict(type='BoxToMask', mode='shape', label_type='weak'),
    dict(type='PackHierSegInputs'),
]
# a plain image (mmseg's inference_model / MMSegInferencer, tools/infer.py)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='PackSegInputs', meta_keys=meta_keys),
]

# test-time augmentation (tools/test.py --tta, mmhier.apis.build_tta_pipeline):
# the plain test pipeline at 0.75, 1 and 1.25 times the test scale, each also
# mirrored; every test dataset gets it with its own annotation loaders.
# Mirroring also mirrors sign glyphs ('bend left' <-> 'bend right'; GTSDB
# trains without flips), so the sign classifier's decision is merged from the
# unmirrored views only (HierSegTTAModel; measured on the synthetic data at
# 16000 iterations: GTSDB mPA 32.9 without TTA, 26.0 averaging all views,
# 39.2 so; docs/experiments.md).
tta_ratios = [0.75, 1.0, 1.25]
tta_unflipped_classifiers = ['traffic sign front']

cityscapes_train = dict(
    type='HierCityscapesDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/cityscapes',
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=pixel_train_pipeline)
cityscapes_val = dict(
    type='HierCityscapesDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    test_mode=True,
    pipeline=pixel_test_pipeline)
vistas_train = dict(
    type='HierMapillaryVistasDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/mapillary_vistas',
    data_prefix=dict(
        img_path='training/images', seg_map_path='training/v1.2/labels'),
    pipeline=pixel_train_pipeline)
vistas_val = dict(
    type='HierMapillaryVistasDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/mapillary_vistas',
    data_prefix=dict(
        img_path='validation/images', seg_map_path='validation/v1.2/labels'),
    test_mode=True,
    pipeline=pixel_test_pipeline)
gtsdb_train = dict(
    type='GTSDBDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/gtsdb',
    ann_file='TrainIJCNN2013/gt.txt',
    data_prefix=dict(img_path='TrainIJCNN2013'),
    pipeline=gtsdb_train_pipeline)
gtsdb_flat_train = dict(gtsdb_train, pipeline=gtsdb_flat_train_pipeline)
gtsdb_val = dict(
    type='GTSDBDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/gtsdb',
    ann_file='TestIJCNN2013/gt.txt',
    data_prefix=dict(img_path='TestIJCNN2013'),
    test_mode=True,
    pipeline=gtsdb_test_pipeline)
gtsdb_outline_val = dict(
    gtsdb_val,
    dataset_name='gtsdb_outlines',
    pipeline=gtsdb_outline_test_pipeline)
cityscapes_extended_val = dict(
    type='CityscapesExtendedDataset',
    taxonomy=dataset_taxonomy,
    data_root='data/cityscapes_extended',
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    test_mode=True,
    pipeline=pixel_test_pipeline)

# label spaces each validation set is scored in (MultiDatasetHierMetric):
# Cityscapes in its 19 official train classes and the paper's 27-class set
dataset_eval_views = dict(
    cityscapes=['cityscapes19', 'cityscapes27'],
    mapillary_vistas=['mapillary_vistas'],
    gtsdb=['gtsdb'],
    gtsdb_outlines=['gtsdb_outlines'],
    cityscapes_extended=['cityscapes_extended'])
# The paper's sign-class subset (Sec. V-B): classes with more than 10^3
# pixels in the GTSDB training set and in both validation sets.
sign_class_subset = dict(
    min_pixels=dict(gtsdb=1000, gtsdb_outlines=0, cityscapes_extended=1000),
    train_ann_file='data/gtsdb/TrainIJCNN2013/gt.txt',
    min_train_pixels=1000)
