# The toy label tree of the loss, head, metric, inference and pruning tests
# (three classifiers on three levels), small enough that every expected value
# can be worked out by hand. Tests take it from the `toy_taxonomy` fixture of
# tests/conftest.py, which applies a test file's own changes (datasets, name,
# level_weights).
#
# node ids (breadth-first): 0 root, 1 road, 2 sign, 3 car, 4 back, 5 front,
#   6 stop, 7 yield
# classifiers: 0 root (road, sign, car), 1 sign (back, front),
#   2 front (stop, yield); level weights 1.0 / 0.1 / 0.1
# label codes: the node ids (0 unused), weak code 8 = box stop (gt)
taxonomy = dict(
    name='toy',
    tree={
        'root': ['road', 'sign', 'car'],
        'sign': ['back', 'front'],
        'front': ['stop', 'yield']
    },
    datasets=dict(
        city=dict(
            annotation='pixel',
            classes={
                0: ('road', 'road'),
                1: ('sign', 'sign'),
                2: ('car', 'car')
            }),
        gt=dict(annotation='box', classes={0: ('stop', 'stop')})),
    level_weights=[1.0, 0.1, 0.1])
