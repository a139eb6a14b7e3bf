# Single mean-teacher baseline (mmdet-style: one student, one EMA teacher) for
# the segmentation adaptation of mmt-seg_*: the same wrapper with ONE peer,
# which learns from its own mean net (soft hierarchical loss + the mean net's
# confident pseudo labels) besides the source labels. Implemented as
# SegMutualMeanTeaching with num_peers=1 rather than mmdet's MeanTeacherHook,
# which expects `model.teacher` / `model.student` and has no alpha warm-up.
_base_ = [
    './mmt-seg_r18-tiny-d8_1xb4-400i_synthetic-cityscapes2target-128x128.py'
]

# MeanNetHook (base config) takes its (peer, mean net) pairs from the model
model = dict(num_peers=1)
