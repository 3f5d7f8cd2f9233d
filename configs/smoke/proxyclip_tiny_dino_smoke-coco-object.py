# Smoke test: the entire real pipeline (MMSeg dataset, transforms, SegDataPreProcessor,
# IoUMetric, sliding windows, PAM) with tiny random models on the synthetic COCO-Object data
# written by `python tools/make_synthetic_data.py`. No downloads; seconds on a CPU.
_base_ = [
    '../_base_/models/tiny_random.py',
    '../_base_/datasets/smoke_coco_object.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.25)
