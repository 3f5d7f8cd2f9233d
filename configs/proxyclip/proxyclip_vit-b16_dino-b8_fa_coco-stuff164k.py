# As proxyclip_vit-b16_dino-b8_coco-stuff164k.py with the seed's CLIP-Surgery-style feature
# adjustment (class-token-weighted redundancy removal; see DESIGN.md "Methods").
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-stuff164k.py']
model = dict(feature_adjust=True)
expected = None  # feature adjustment is the seed study's addition, not ProxyCLIP's
expected_seed = None  # the seed's number for this cell is unknown to us
