# Optional MaskCLIP+ self-training round: the phase-1 student (8k iterations on MaskCLIP labels)
# relabels train2017 and is fine-tuned on its own predictions for 4k more iterations.
# This config is both the round-2 teacher (model = the student, weights = load_from) and the
# round-2 student (initialised from load_from):
#   python tools/make_pseudo_labels.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k_self-train.py
#   python tools/train.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k_self-train.py --amp
# (MaskCLIP+ switches to self-training online, inside its head, after a set iteration; here the
# round is offline: relabel once, then train, with the same tools as the teacher phase.)
_base_ = ['./maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py', './_base_/teacher.py']
load_from = 'work_dirs/maskclip-plus_deeplabv3plus_r101_coco-stuff164k/iter_8000.pth'
teacher_config = 'configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k_self-train.py'  # itself
pseudo_label_dir = 'pseudo_labels/maskclip-plus_deeplabv3plus_r101_round2/train2017'
pseudo_labels = dict(out_dir=pseudo_label_dir)
model = dict(pretrained=None)  # weights come from load_from
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=pseudo_label_dir), ann_file=pseudo_label_dir + '/labelled.txt'))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=4000, by_epoch=False)]
train_cfg = dict(max_iters=4000, val_interval=4000)
