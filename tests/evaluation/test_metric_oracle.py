"""Oracle: a fixed prediction/label pair with a known confusion matrix gives the exact mIoU,
aAcc and per-class table through our metric path (ProxySegIoUMetric)."""
import pytest
import torch


def test_known_confusion_matrix_gives_exact_miou():
    import proxyseg.mmseg  # noqa: F401  (registers the metric)
    from proxyseg.mmseg.metrics import ProxySegIoUMetric

    # 3 classes; class 2 is absent from prediction and label (IoU undefined -> '-', left out of the mean)
    label = torch.tensor([[0, 0, 0, 1],
                          [1, 1, 255, 1]])
    pred = torch.tensor([[0, 0, 1, 1],
                         [1, 0, 2, 1]])
    # pixels counted (ignore 255 dropped): class 0: label 3, pred 3, intersect 2 -> IoU 2/4
    #                                      class 1: label 4, pred 4, intersect 3 -> IoU 3/5
    m = ProxySegIoUMetric(iou_metrics=["mIoU"])
    m.dataset_meta = dict(classes=("a", "b", "c"))
    sample = dict(pred_sem_seg=dict(data=pred[None]), gt_sem_seg=dict(data=label[None].clone()), seg_map_path="x")
    m.process({}, [sample])
    metrics = m.evaluate(1)
    assert metrics["mIoU"] == pytest.approx(round((50.0 + 60.0) / 2, 2))
    assert metrics["aAcc"] == pytest.approx(round(100 * 5 / 7, 2))
    assert m.per_class == {"a": {"IoU": 50.0, "Acc": round(100 * 2 / 3, 2)}, "b": {"IoU": 60.0, "Acc": 75.0},
                           "c": {"IoU": None, "Acc": None}}
