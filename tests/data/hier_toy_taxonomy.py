# A tiny label tree for the dataset / transform / metric tests, small enough
# that every expected value can be worked out by hand.
#
# node ids (breadth-first): 0 root, 1 sky, 2 driveable, 3 person,
#   4 traffic sign, 5 road, 6 lane marking, 7 sign back, 8 sign front,
#   9 circle sign, 10 triangle sign, 11 stop sign
# weak codes (gtsdb boxes): 12 circle, 13 triangle, 14 stop
taxonomy = dict(
    name='hier_toy',
    root='root',
    tree={
        'root': ['sky', 'driveable', 'person', 'traffic sign'],
        'driveable': ['road', 'lane marking'],
        'traffic sign': ['sign back', 'sign front'],
        'sign front': ['circle sign', 'triangle sign', 'stop sign'],
    },
    datasets=dict(
        cityscapes=dict(
            annotation='pixel',
            classes=[(0, 'unlabeled', None), (1, 'road', 'driveable'),
                     (2, 'sky', 'sky'), (3, 'person', 'person'),
                     (4, 'traffic sign', 'traffic sign'),
                     (5, 'parking', None)]),
        mapillary_vistas=dict(
            annotation='pixel',
            classes=[(0, 'Sky', 'sky'), (1, 'Road', 'road'),
                     (2, 'Lane Marking - General', 'lane marking'),
                     (3, 'Person', 'person'),
                     (4, 'Traffic Sign (Back)', 'sign back'),
                     (5, 'Traffic Sign (Front)', 'sign front'),
                     (6, 'Unlabeled', None)]),
        gtsdb=dict(
            annotation='box',
            classes=[(0, 'speed limit', 'circle sign'),
                     (1, 'danger', 'triangle sign'),
                     (2, 'stop', 'stop sign')]),
        cityscapes_extended=dict(
            annotation='pixel',
            eval_only=True,
            ignore_ids=[255],
            classes=[(0, 'speed limit', 'circle sign'),
                     (1, 'danger', 'triangle sign'),
                     (2, 'stop', 'stop sign')]),
        # an evaluation view: Cityscapes without its traffic-sign class
        cityscapes_nosign=dict(base='cityscapes', eval_ignore=[4]),
    ),
)
