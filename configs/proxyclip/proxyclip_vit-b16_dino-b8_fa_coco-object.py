# As proxyclip_vit-b16_dino-b8_coco-object.py with the seed's CLIP-Surgery-style feature
# adjustment (class-token-weighted redundancy removal; see DESIGN.md "Methods").
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-object.py']
model = dict(feature_adjust=True)
expected = None  # feature adjustment is the seed study's addition, not ProxyCLIP's
expected_seed = dict(mIoU=22.89, source='seed study, Table 1')
