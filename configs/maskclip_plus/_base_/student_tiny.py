# Tiny random-initialised twin of student_deeplabv3plus_r101.py for CPU smoke tests: the same
# classes (ResNetV1c, DepthwiseSeparableASPPHead, FCNHead) at depth 18 with 8..64 channels,
# plain BN, no pretrained weights. A 64x64 crop trains at a few iterations per second on a CPU.
_base_ = ['./student_deeplabv3plus_r101.py']
crop_size = (64, 64)
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(depth=18, stem_channels=16, base_channels=8, norm_cfg=norm_cfg, init_cfg=None),
    decode_head=dict(in_channels=64, channels=16, c1_in_channels=8, c1_channels=8, dilations=(1, 2, 3, 4),
                     dropout_ratio=0.0, norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=32, channels=8, dropout_ratio=0.0, norm_cfg=norm_cfg),
)
