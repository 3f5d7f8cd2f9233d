# PAM's two hyper-parameters (DESIGN.md: A = gamma * (S - beta * mean(S))) as a grid on
# COCO-Object with DINO ViT-B/8: 4 x 4 cells -> table.{md,csv,json,png} + heatmap.png.
#   python tools/sweep.py configs/seed/beta_gamma.py
#   python tools/sweep.py configs/seed/beta_gamma.py --limit 500   # quicker, separate cells
# ProxyCLIP's defaults are beta 1.2, gamma 3.0.
name = 'beta_gamma'
title = 'ProxyCLIP beta x gamma, DINO ViT-B/8, COCO-Object'
metric = 'mIoU'
configs = ['configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py']
grid = {
    'model.beta': [1.0, 1.2, 1.4, 1.6],
    'model.gamma': [2.0, 3.0, 4.0, 5.0],
}
heatmap = ('model.beta', 'model.gamma')  # rows, columns
