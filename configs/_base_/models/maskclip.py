# MaskCLIP (Zhou et al., ECCV 2022): value path of the last block (+ residual and MLP).
_base_ = ['./proxyclip.py']
model = dict(method='maskclip', vfm=None)
