# As proxyclip_vit-b16_dino-b8_coco-object.py with DINO ViT-B16.
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-object.py']
model = dict(vfm=dict(arch='b16'))
expected = None  # not in ProxyCLIP's main table (its VFM ablation rows are unknown to us)
expected_seed = dict(mIoU=36.25, source='seed study, Table 2')
