# Small label tree for the synthetic street scenes
# (tools/dataset_converters/generate_synthetic.py): the paper's three-level
# structure with only the classes the generator draws, so that a tiny CPU model
# can learn it. The raw ids are the REAL official label lists (Cityscapes
# labelIds 0..33, Mapillary Vistas v1.2 ids 0..65, GTSDB classIds 0..42), so
# the same dataset classes read the synthetic and the real data.
#
# Shape (pinned by tests/test_taxonomy/test_shipped_trees.py):
#   root (10): sky building vegetation sidewalk pole car person
#              driveable rider traffic sign
#   driveable (3): road, lane marking, crosswalk
#   rider (2): bicyclist, motorcyclist
#   traffic sign (2): traffic sign back, traffic sign front
#   traffic sign front (43): the 43 GTSDB classes. All of them, no "other":
#       the generator draws every GTSDB class (also on Cityscapes/Vistas signs)
#       and an "other" leaf would have no training pixel.
#   56 leaves, 61 nodes, 43 weak (GTSDB) nodes -> codes 0..103.
#
# Classes the generator does not draw are mapped to None (ignore). Mapping the
# absent driveable surfaces (Cityscapes parking, Vistas bike / service lane,
# parking, plain crosswalk, manhole, ...) to the coarse node `driveable` would
# be sound for training, but in Vistas' own eval space it would create a
# class `driveable` that no leaf ever projects to (road / lane marking /
# crosswalk are Vistas eval classes themselves), i.e. an IoU of 0 by
# construction; the paper's tree (cvg_cityscapes_vistas_gtsdb.py) has a leaf
# for each of them instead.
# The same holds for Vistas `Other Rider` (not drawn -> None). Coarse labels
# that are kept: Cityscapes road -> driveable, rider -> rider, traffic sign ->
# traffic sign; Vistas Traffic Sign (Front) -> traffic sign front.
# Node names are lower case; dataset class names are the official ones.
_gtsdb = [  # (classId, official GTSDB name); node = name + ' sign'
    (0, 'speed limit 20'), (1, 'speed limit 30'), (2, 'speed limit 50'),
    (3, 'speed limit 60'), (4, 'speed limit 70'), (5, 'speed limit 80'),
    (6, 'restriction ends 80'), (7, 'speed limit 100'),
    (8, 'speed limit 120'), (9, 'no overtaking'),
    (10, 'no overtaking (trucks)'), (11, 'priority at next intersection'),
    (12, 'priority road'), (13, 'give way'), (14, 'stop'),
    (15, 'no traffic both ways'), (16, 'no trucks'), (17, 'no entry'),
    (18, 'danger'), (19, 'bend left'), (20, 'bend right'), (21, 'bend'),
    (22, 'uneven road'), (23, 'slippery road'), (24, 'road narrows'),
    (25, 'construction'), (26, 'traffic signal'),
    (27, 'pedestrian crossing'), (28, 'school crossing'),
    (29, 'cycles crossing'), (30, 'snow'), (31, 'animals'),
    (32, 'restriction ends'), (33, 'go right'), (34, 'go left'),
    (35, 'go straight'), (36, 'go right or straight'),
    (37, 'go left or straight'), (38, 'keep right'), (39, 'keep left'),
    (40, 'roundabout'), (41, 'restriction ends (overtaking)'),
    (42, 'restriction ends (overtaking (trucks))'),
]

taxonomy = dict(
    name='synthetic_street',
    root='root',
    tree={
        'root': [
            'sky', 'building', 'vegetation', 'sidewalk', 'pole', 'car',
            'person', 'driveable', 'rider', 'traffic sign'
        ],
        'driveable': ['road', 'lane marking', 'crosswalk'],
        'rider': ['bicyclist', 'motorcyclist'],
        'traffic sign': ['traffic sign back', 'traffic sign front'],
        'traffic sign front': [name + ' sign' for _, name in _gtsdb],
    },
    # lambda_j per classifier level (paper Sec. IV: 1.0, 0.1, 0.1)
    level_weights=[1.0, 0.1, 0.1],
    datasets=dict(
        cityscapes=dict(
            annotation='pixel',
            classes=[
                (0, 'unlabeled', None),
                (1, 'ego vehicle', None),
                (2, 'rectification border', None),
                (3, 'out of roi', None),
                (4, 'static', None),
                (5, 'dynamic', None),
                (6, 'ground', None),
                (7, 'road', 'driveable'),  # incl. markings: coarse label
                (8, 'sidewalk', 'sidewalk'),
                (9, 'parking', None),
                (10, 'rail track', None),
                (11, 'building', 'building'),
                (12, 'wall', None),
                (13, 'fence', None),
                (14, 'guard rail', None),
                (15, 'bridge', None),
                (16, 'tunnel', None),
                (17, 'pole', 'pole'),
                (18, 'polegroup', None),
                (19, 'traffic light', None),
                (20, 'traffic sign', 'traffic sign'),  # coarse
                (21, 'vegetation', 'vegetation'),
                (22, 'terrain', None),
                (23, 'sky', 'sky'),
                (24, 'person', 'person'),
                (25, 'rider', 'rider'),  # coarse
                (26, 'car', 'car'),
                (27, 'truck', None),
                (28, 'bus', None),
                (29, 'caravan', None),
                (30, 'trailer', None),
                (31, 'train', None),
                (32, 'motorcycle', None),
                (33, 'bicycle', None),
            ]),
        mapillary_vistas=dict(
            annotation='pixel',
            classes=[
                (0, 'Bird', None),
                (1, 'Ground Animal', None),
                (2, 'Curb', None),
                (3, 'Fence', None),
                (4, 'Guard Rail', None),
                (5, 'Barrier', None),
                (6, 'Wall', None),
                (7, 'Bike Lane', None),
                (8, 'Crosswalk - Plain', None),
                (9, 'Curb Cut', None),
                (10, 'Parking', None),
                (11, 'Pedestrian Area', None),
                (12, 'Rail Track', None),
                (13, 'Road', 'road'),
                (14, 'Service Lane', None),
                (15, 'Sidewalk', 'sidewalk'),
                (16, 'Bridge', None),
                (17, 'Building', 'building'),
                (18, 'Tunnel', None),
                (19, 'Person', 'person'),
                (20, 'Bicyclist', 'bicyclist'),
                (21, 'Motorcyclist', 'motorcyclist'),
                (22, 'Other Rider', None),
                (23, 'Lane Marking - Crosswalk', 'crosswalk'),
                (24, 'Lane Marking - General', 'lane marking'),
                (25, 'Mountain', None),
                (26, 'Sand', None),
                (27, 'Sky', 'sky'),
                (28, 'Snow', None),
                (29, 'Terrain', None),
                (30, 'Vegetation', 'vegetation'),
                (31, 'Water', None),
                (32, 'Banner', None),
                (33, 'Bench', None),
                (34, 'Bike Rack', None),
                (35, 'Billboard', None),
                (36, 'Catch Basin', None),
                (37, 'CCTV Camera', None),
                (38, 'Fire Hydrant', None),
                (39, 'Junction Box', None),
                (40, 'Mailbox', None),
                (41, 'Manhole', None),
                (42, 'Phone Booth', None),
                (43, 'Pothole', None),
                (44, 'Street Light', None),
                (45, 'Pole', 'pole'),
                (46, 'Traffic Sign Frame', None),
                (47, 'Utility Pole', 'pole'),
                (48, 'Traffic Light', None),
                (49, 'Traffic Sign (Back)', 'traffic sign back'),
                (50, 'Traffic Sign (Front)', 'traffic sign front'),  # coarse
                (51, 'Trash Can', None),
                (52, 'Bicycle', None),
                (53, 'Boat', None),
                (54, 'Bus', None),
                (55, 'Car', 'car'),
                (56, 'Caravan', None),
                (57, 'Motorcycle', None),
                (58, 'On Rails', None),
                (59, 'Other Vehicle', None),
                (60, 'Trailer', None),
                (61, 'Truck', None),
                (62, 'Wheeled Slow', None),
                (63, 'Car Mount', None),
                (64, 'Ego Vehicle', None),
                (65, 'Unlabeled', None),
            ]),
        # bounding boxes only: weak codes (see mmhier/taxonomy/encoding.py)
        gtsdb=dict(
            annotation='box',
            classes=[(i, name, name + ' sign') for i, name in _gtsdb]),
        # evaluation-only views (never used for training)
        # Cityscapes' 19 official train classes restricted to those drawn here
        # (10); same name as in the paper's tree so configs can share it.
        cityscapes19=dict(base='cityscapes'),
        # GTSDB scored on the sign outlines inside its boxes (BoxToMask
        # mode='shape': circle, triangle, octagon, diamond from the class)
        # instead of the full rectangles, whose corners are background
        gtsdb_outlines=dict(base='gtsdb'),
        cityscapes_extended=dict(
            # *_gtFine_trafficSignIds.png: GTSDB classId on sign pixels
            annotation='pixel',
            eval_only=True,
            ignore_ids=[255],
            classes=[(i, name, name + ' sign') for i, name in _gtsdb]),
    ),
    # leaf colours: Cityscapes / Vistas palettes; GTSDB leaves are generated
    palette={
        'sky': [70, 130, 180],
        'building': [70, 70, 70],
        'vegetation': [107, 142, 35],
        'sidewalk': [244, 35, 232],
        'pole': [153, 153, 153],
        'car': [0, 0, 142],
        'person': [220, 20, 60],
        'road': [128, 64, 128],
        'lane marking': [255, 255, 255],
        'crosswalk': [200, 128, 128],
        'bicyclist': [255, 0, 0],
        'motorcyclist': [255, 0, 100],
        'traffic sign back': [192, 192, 192],
    },
)
