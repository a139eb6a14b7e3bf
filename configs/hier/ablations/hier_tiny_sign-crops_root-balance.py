# Ablation: hier_tiny_sign-crops.py plus rare-class balance in the root
# classifier (HierarchicalLoss class_balance: square-root median-frequency
# weights from the per-pixel labels seen so far).
_base_ = ['./hier_tiny_sign-crops.py']

model = dict(
    decode_head=dict(
        loss_decode=dict(
            class_balance=dict(classifiers=['root'], power=0.5))))
