# Every VFM x architecture under ProxyCLIP on COCO-Object (CLIP ViT-B/16, beta 1.2, gamma 3,
# prob_thd 0.25): the seed's VFM study (DINO, DINOv2, SAM, MAE, Carvana UNet, diffusion UNet).
#   python tools/sweep.py configs/seed/vfm_ablation.py            # all 9 cells
#   python tools/sweep.py configs/seed/vfm_ablation.py --only unet --show-n 4
# Weights: see README "Weights" (UNet: a local Carvana state dict; diffusion: the `diffusion`
# extra and local Stable Diffusion 1.5 weights). No published numbers: nothing to expect.
name = 'vfm_ablation'
title = 'ProxyCLIP VFM ablation on COCO-Object'
metric = 'mIoU'
_VFMS = [
    ('dino', 's8'), ('dino', 's16'), ('dino', 'b8'), ('dino', 'b16'),
    ('dinov2', 'b14_reg'),
    ('sam', 'b'),
    ('mae', 'b16'),
    ('unet', 'carvana'),
    ('diffusion', 'sd15'),
]
cells = [
    dict(config='configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py', label=f'{_t} {_a}', group=_t,
         series=f'{_t} {_a}', overrides={'model.vfm.type': _t, 'model.vfm.arch': _a})
    for _t, _a in _VFMS
]
