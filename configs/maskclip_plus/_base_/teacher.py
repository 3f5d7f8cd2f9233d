# Teacher settings for tools/make_pseudo_labels.py (MaskCLIP+ step 1). A teacher config is
#   model (any MMSeg segmentor: proxyseg's training-free ProxyCLIPSegmentor, or a trained student
#   + checkpoint) + a dataset base (its test pipeline is how the teacher sees images) + this section.
# The teacher labels the *training* split (`data_prefix`), writing MMSeg label PNGs to `out_dir`
# (relative to the dataset's data_root, like data_prefix.seg_map_path): uint8 class ids, 255 where
# the teacher's confidence < thd. The student config points its train_dataloader at the same folder.
pseudo_labels = dict(
    data_prefix=dict(img_path='images/train2017'),
    ann_file='',  # optional split file (relative to data_root) to label a subset; '' = every image
    out_dir=None,  # set by the experiment, e.g. 'pseudo_labels/maskclip_vit-b16/train2017'
    thd=0.0,  # MaskCLIP+ trained on every pixel; --thd 0.5 ignores low-confidence pixels
    conf_format='png',  # also store confidences (<label>_conf.png, uint8 = round(255 * p)); npy | none
    checkpoint=None,  # teacher weights for a trained-student teacher (default: load_from)
    batch_size=1,
    num_workers=2,
)
