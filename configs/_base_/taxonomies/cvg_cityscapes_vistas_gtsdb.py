# The label tree of Meletis & Dubbelman, "Training of Convolutional Networks
# on Multiple Heterogeneous Datasets for Street Scene Semantic Segmentation",
# IEEE IV 2018 (Fig. 2): Cityscapes + Mapillary Vistas v1.2 + GTSDB merged into
# one 3-level semantic tree with 108 leaves (64 Vistas classes + the 43 GTSDB
# classes + `other front sign`).
#
# Shape (pinned by tests/test_taxonomy/test_shipped_trees.py, explained in
# docs/taxonomy.md "The paper's tree"):
#   L1 root               53 children: 50 Vistas leaves + driveable, rider,
#                                      traffic sign (in the authors' L1 order)
#   L2 driveable          10: the Vistas surfaces Cityscapes calls `road`
#   L2 rider               3: Bicyclist, Motorcyclist, Other Rider
#   L2 traffic sign        2: Traffic Sign (Back), traffic sign front
#   L3 traffic sign front 44: the 43 GTSDB classes + `other front sign`
# The authors' code (pmeletis/IV2018-hierarchical-semantic-segmentation-for-
# heterogeneous-datasets, estimator/define_losses.py) has 54 / 11 / 4 / 3 / 44
# outputs: every classifier there carries one extra "void / Unlabeled" output
# that is masked out of the loss and never trained. We drop those dead outputs
# (void is the ignore code 255 here) except for `traffic sign front`, whose
# 44th output is what the authors' 108-class label space calls
# `Traffic Sign (Front)`: a front sign that is none of the 43 GTSDB classes.
#
# Node names: Vistas leaves keep their official names, GTSDB leaves are the
# official GTSDB name + ' sign' (GTSDB `snow` vs Vistas `Snow`), the nodes the
# paper adds are lower case. The raw ids are the datasets' official lists:
# Cityscapes labelIds 0..33, Vistas v1.2 ids 0..65 (config_v1.2.json order,
# = mmseg MapillaryDataset_v1), GTSDB classIds 0..42 (ReadMe.txt order).
# This file is plain data: it imports nothing.
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
    name='cvg_cityscapes_vistas_gtsdb',
    root='root',
    tree={
        # L1, in the order of the authors' L1 classifier. Vistas classes that
        # Cityscapes has no finer/coarser counterpart for stay at L1.
        'root': [
            'Bird', 'Ground Animal', 'Curb', 'Fence', 'Guard Rail', 'Barrier',
            'Wall', 'driveable', 'Curb Cut', 'Pedestrian Area', 'Rail Track',
            'Sidewalk', 'Bridge', 'Building', 'Tunnel', 'Person', 'rider',
            'Mountain', 'Sand', 'Sky', 'Snow', 'Terrain', 'Vegetation',
            'Water', 'Banner', 'Bench', 'Bike Rack', 'Billboard',
            'CCTV Camera', 'Fire Hydrant', 'Junction Box', 'Mailbox',
            'Phone Booth', 'Street Light', 'Pole', 'Traffic Sign Frame',
            'Utility Pole', 'Traffic Light', 'traffic sign', 'Trash Can',
            'Bicycle', 'Boat', 'Bus', 'Car', 'Caravan', 'Motorcycle',
            'On Rails', 'Other Vehicle', 'Trailer', 'Truck', 'Wheeled Slow',
            'Car Mount', 'Ego Vehicle'
        ],
        # Cityscapes `road`: "part of ground on which cars usually drive ...
        # including the markings on the road; areas only delimited by markings
        # (bicycle lanes, parking spaces) are also road". Its Vistas children:
        # the road surface itself (Road, Service Lane), the lanes and areas
        # marked on it (Bike Lane, Parking, Crosswalk - Plain), the markings
        # (Lane Marking - General / - Crosswalk) and the objects set into the
        # road surface (Catch Basin, Manhole, Pothole) -- the authors' 10.
        # Cityscapes `parking` is a leaf here too (Vistas Parking).
        'driveable': [
            'Bike Lane', 'Crosswalk - Plain', 'Parking', 'Road',
            'Service Lane', 'Lane Marking - Crosswalk',
            'Lane Marking - General', 'Catch Basin', 'Manhole', 'Pothole'
        ],
        # Cityscapes `rider` = Vistas' three rider classes.
        'rider': ['Bicyclist', 'Motorcyclist', 'Other Rider'],
        # Vistas splits signs into back and front (the frame is a separate L1
        # class, as in the authors' code); only the front carries a GTSDB
        # class.
        'traffic sign': ['Traffic Sign (Back)', 'traffic sign front'],
        'traffic sign front':
        [name + ' sign' for _, name in _gtsdb] + ['other front sign'],
    },
    # lambda_j per classifier level (paper Sec. IV: 1.0, 0.1, 0.1)
    level_weights=[1.0, 0.1, 0.1],
    datasets=dict(
        # Cityscapes labelIds (cityscapesscripts/helpers/labels.py, 0..33;
        # license plate (-1) is not a labelId of the PNGs). The 27 mapped ids
        # are the paper's 27 evaluated classes (19 train classes + the 8 that
        # Vistas also has: ego vehicle, parking, rail track, guard rail,
        # bridge, tunnel, caravan, trailer). Void in the paper (no Vistas
        # counterpart, or ambiguous): unlabeled, rectification border,
        # out of roi, static, dynamic, ground, polegroup.
        cityscapes=dict(
            annotation='pixel',
            classes=[
                (0, 'unlabeled', None),
                (1, 'ego vehicle', 'Ego Vehicle'),
                (2, 'rectification border', None),
                (3, 'out of roi', None),
                (4, 'static', None),
                (5, 'dynamic', None),
                (6, 'ground', None),
                (7, 'road', 'driveable'),  # coarse: any driveable leaf
                (8, 'sidewalk', 'Sidewalk'),
                (9, 'parking', 'Parking'),
                (10, 'rail track', 'Rail Track'),
                (11, 'building', 'Building'),
                (12, 'wall', 'Wall'),
                (13, 'fence', 'Fence'),
                (14, 'guard rail', 'Guard Rail'),
                (15, 'bridge', 'Bridge'),
                (16, 'tunnel', 'Tunnel'),
                (17, 'pole', 'Pole'),
                (18, 'polegroup', None),
                (19, 'traffic light', 'Traffic Light'),
                # The authors meant the front of the sign (their L2 list sets
                # "front" for this class -- but at the index of `truck`, the
                # bug the regression test pins); Cityscapes Extended labels
                # these pixels with GTSDB classes.
                (20, 'traffic sign', 'traffic sign front'),  # coarse
                (21, 'vegetation', 'Vegetation'),
                (22, 'terrain', 'Terrain'),
                (23, 'sky', 'Sky'),
                (24, 'person', 'Person'),
                (25, 'rider', 'rider'),  # coarse
                (26, 'car', 'Car'),
                (27, 'truck', 'Truck'),
                (28, 'bus', 'Bus'),
                (29, 'caravan', 'Caravan'),
                (30, 'trailer', 'Trailer'),
                (31, 'train', 'On Rails'),
                (32, 'motorcycle', 'Motorcycle'),
                (33, 'bicycle', 'Bicycle'),
            ],
            # the authors kept Cityscapes out of the driveable classifier: its
            # only driveable sub-label (parking) would teach "all is parking"
            skip_classifiers=['driveable']),
        # Mapillary Vistas v1.2: 65 evaluated classes + Unlabeled (void).
        mapillary_vistas=dict(
            annotation='pixel',
            classes=[
                (0, 'Bird', 'Bird'),
                (1, 'Ground Animal', 'Ground Animal'),
                (2, 'Curb', 'Curb'),
                (3, 'Fence', 'Fence'),
                (4, 'Guard Rail', 'Guard Rail'),
                (5, 'Barrier', 'Barrier'),
                (6, 'Wall', 'Wall'),
                (7, 'Bike Lane', 'Bike Lane'),
                (8, 'Crosswalk - Plain', 'Crosswalk - Plain'),
                (9, 'Curb Cut', 'Curb Cut'),
                (10, 'Parking', 'Parking'),
                (11, 'Pedestrian Area', 'Pedestrian Area'),
                (12, 'Rail Track', 'Rail Track'),
                (13, 'Road', 'Road'),
                (14, 'Service Lane', 'Service Lane'),
                (15, 'Sidewalk', 'Sidewalk'),
                (16, 'Bridge', 'Bridge'),
                (17, 'Building', 'Building'),
                (18, 'Tunnel', 'Tunnel'),
                (19, 'Person', 'Person'),
                (20, 'Bicyclist', 'Bicyclist'),
                (21, 'Motorcyclist', 'Motorcyclist'),
                (22, 'Other Rider', 'Other Rider'),
                (23, 'Lane Marking - Crosswalk', 'Lane Marking - Crosswalk'),
                (24, 'Lane Marking - General', 'Lane Marking - General'),
                (25, 'Mountain', 'Mountain'),
                (26, 'Sand', 'Sand'),
                (27, 'Sky', 'Sky'),
                (28, 'Snow', 'Snow'),
                (29, 'Terrain', 'Terrain'),
                (30, 'Vegetation', 'Vegetation'),
                (31, 'Water', 'Water'),
                (32, 'Banner', 'Banner'),
                (33, 'Bench', 'Bench'),
                (34, 'Bike Rack', 'Bike Rack'),
                (35, 'Billboard', 'Billboard'),
                (36, 'Catch Basin', 'Catch Basin'),
                (37, 'CCTV Camera', 'CCTV Camera'),
                (38, 'Fire Hydrant', 'Fire Hydrant'),
                (39, 'Junction Box', 'Junction Box'),
                (40, 'Mailbox', 'Mailbox'),
                (41, 'Manhole', 'Manhole'),
                (42, 'Phone Booth', 'Phone Booth'),
                (43, 'Pothole', 'Pothole'),
                (44, 'Street Light', 'Street Light'),
                (45, 'Pole', 'Pole'),
                (46, 'Traffic Sign Frame', 'Traffic Sign Frame'),
                (47, 'Utility Pole', 'Utility Pole'),
                (48, 'Traffic Light', 'Traffic Light'),
                (49, 'Traffic Sign (Back)', 'Traffic Sign (Back)'),
                (50, 'Traffic Sign (Front)', 'traffic sign front'),
                (51, 'Trash Can', 'Trash Can'),
                (52, 'Bicycle', 'Bicycle'),
                (53, 'Boat', 'Boat'),
                (54, 'Bus', 'Bus'),
                (55, 'Car', 'Car'),
                (56, 'Caravan', 'Caravan'),
                (57, 'Motorcycle', 'Motorcycle'),
                (58, 'On Rails', 'On Rails'),
                (59, 'Other Vehicle', 'Other Vehicle'),
                (60, 'Trailer', 'Trailer'),
                (61, 'Truck', 'Truck'),
                (62, 'Wheeled Slow', 'Wheeled Slow'),
                (63, 'Car Mount', 'Car Mount'),
                (64, 'Ego Vehicle', 'Ego Vehicle'),
                (65, 'Unlabeled', None),
            ]),
        # GTSDB: bounding boxes only -> weak codes (see
        # mmhier/taxonomy/encoding.py)
        gtsdb=dict(
            annotation='box',
            classes=[(i, name, name + ' sign') for i, name in _gtsdb]),
        # ---- evaluation-only views (never used for training) ----
        # The paper's Cityscapes protocol: 27 classes (= the cityscapes entry).
        cityscapes27=dict(base='cityscapes'),
        # The 19 official Cityscapes train classes on labelIds.
        cityscapes19=dict(
            base='cityscapes',
            eval_ignore=[1, 9, 10, 14, 15, 16, 29, 30]),
        # GTSDB scored on the sign outlines inside its boxes (BoxToMask
        # mode='shape': circle, triangle, octagon, diamond from the class)
        # instead of the full rectangles, whose corners are background
        gtsdb_outlines=dict(base='gtsdb'),
        # Cityscapes Extended (*_gtFine_trafficSignIds.png): GTSDB classId on
        # traffic-sign pixels, 255 elsewhere; never trained on.
        cityscapes_extended=dict(
            annotation='pixel',
            eval_only=True,
            ignore_ids=[255],
            classes=[(i, name, name + ' sign') for i, name in _gtsdb]),
    ),
    # leaf colours: the official Vistas palette (mmseg MapillaryDataset_v1);
    # GTSDB leaves get generated colours
    palette={
        'Bird': [165, 42, 42],
        'Ground Animal': [0, 192, 0],
        'Curb': [196, 196, 196],
        'Fence': [190, 153, 153],
        'Guard Rail': [180, 165, 180],
        'Barrier': [90, 120, 150],
        'Wall': [102, 102, 156],
        'Bike Lane': [128, 64, 255],
        'Crosswalk - Plain': [140, 140, 200],
        'Curb Cut': [170, 170, 170],
        'Parking': [250, 170, 160],
        'Pedestrian Area': [96, 96, 96],
        'Rail Track': [230, 150, 140],
        'Road': [128, 64, 128],
        'Service Lane': [110, 110, 110],
        'Sidewalk': [244, 35, 232],
        'Bridge': [150, 100, 100],
        'Building': [70, 70, 70],
        'Tunnel': [150, 120, 90],
        'Person': [220, 20, 60],
        'Bicyclist': [255, 0, 0],
        'Motorcyclist': [255, 0, 100],
        'Other Rider': [255, 0, 200],
        'Lane Marking - Crosswalk': [200, 128, 128],
        'Lane Marking - General': [255, 255, 255],
        'Mountain': [64, 170, 64],
        'Sand': [230, 160, 50],
        'Sky': [70, 130, 180],
        'Snow': [190, 255, 255],
        'Terrain': [152, 251, 152],
        'Vegetation': [107, 142, 35],
        'Water': [0, 170, 30],
        'Banner': [255, 255, 128],
        'Bench': [250, 0, 30],
        'Bike Rack': [100, 140, 180],
        'Billboard': [220, 220, 220],
        'Catch Basin': [220, 128, 128],
        'CCTV Camera': [222, 40, 40],
        'Fire Hydrant': [100, 170, 30],
        'Junction Box': [40, 40, 40],
        'Mailbox': [33, 33, 33],
        'Manhole': [100, 128, 160],
        'Phone Booth': [142, 0, 0],
        'Pothole': [70, 100, 150],
        'Street Light': [210, 170, 100],
        'Pole': [153, 153, 153],
        'Traffic Sign Frame': [128, 128, 128],
        'Utility Pole': [0, 0, 80],
        'Traffic Light': [250, 170, 30],
        'Traffic Sign (Back)': [192, 192, 192],
        'traffic sign front': [220, 220, 0],
        'Trash Can': [140, 140, 20],
        'Bicycle': [119, 11, 32],
        'Boat': [150, 0, 255],
        'Bus': [0, 60, 100],
        'Car': [0, 0, 142],
        'Caravan': [0, 0, 90],
        'Motorcycle': [0, 0, 230],
        'On Rails': [0, 80, 100],
        'Other Vehicle': [128, 64, 64],
        'Trailer': [0, 0, 110],
        'Truck': [0, 0, 70],
        'Wheeled Slow': [0, 0, 192],
        'Car Mount': [32, 32, 32],
        'Ego Vehicle': [120, 10, 10],
        'other front sign': [220, 220, 0],
    },
)
