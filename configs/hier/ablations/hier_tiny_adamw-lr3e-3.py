# hier_tiny_adamw-lr1e-3.py (AdamW instead of SGD on the main job's config)
# at lr 3e-3. Test unchanged.
_base_ = ['./hier_tiny_adamw-lr1e-3.py']

optim_wrapper = dict(optimizer=dict(lr=3e-3))
