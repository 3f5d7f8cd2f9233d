# Smoke sweep (CI, tests): the tiny random ProxyCLIP on the synthetic COCO-Object data, PAM
# beta x gamma as a 2 x 2 grid (so heatmap.png is drawn too). No weights, seconds on a CPU:
#   python tools/make_synthetic_data.py
#   python tools/sweep.py configs/seed/smoke_sweep.py --data-root data/synthetic/coco_object
# Random weights: the numbers only show that the pipeline runs; there is nothing to expect.
name = 'smoke_sweep'
title = 'tiny random ProxyCLIP, synthetic COCO-Object, beta x gamma'
configs = ['configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py']
grid = {'model.beta': [1.0, 1.2], 'model.gamma': [2.0, 3.0]}
