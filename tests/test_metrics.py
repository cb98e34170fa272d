import math

import numpy as np
import pytest
import torch

from labor_desktop.core.metrics import ConfusionMatrix


def test_hand_computed_three_classes():
    gt = np.array([[0, 0, 1, 1], [2, 2, 255, 1]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 2, 2]])
    cm = ConfusionMatrix(num_classes=3)
    cm.update(pred, gt)
    # rows = truth: class0 -> {0:1, 1:1}; class1 -> {1:2, 2:1}; class2 -> {2:1, 0:1}; the 255 pixel is skipped
    assert cm.matrix.tolist() == [[1, 1, 0], [0, 2, 1], [1, 0, 1]]
    # IoU0 = 1/(1+1+1) ; IoU1 = 2/(2+1+1) ; IoU2 = 1/(1+1+1)
    np.testing.assert_allclose(cm.iou(), [1 / 3, 2 / 4, 1 / 3])
    assert cm.miou() == pytest.approx((1 / 3 + 1 / 2 + 1 / 3) / 3)
    assert cm.pixel_accuracy() == pytest.approx(4 / 7)


def test_absent_class_is_nan_and_left_out_of_the_mean():
    cm = ConfusionMatrix(num_classes=4)
    cm.update(np.array([0, 0, 1]), np.array([0, 1, 1]))
    iou = cm.iou()
    assert iou[0] == pytest.approx(1 / 2) and iou[1] == pytest.approx(1 / 2)
    assert math.isnan(iou[2]) and math.isnan(iou[3])
    assert cm.miou() == pytest.approx(0.5)
    # predicted but never true: IoU 0, not NaN
    cm.update(np.array([3]), np.array([0]))
    assert cm.iou()[3] == 0.0


def test_out_of_range_predictions_count_as_misses():
    cm = ConfusionMatrix(num_classes=2)
    cm.update(np.array([0, 255, 7]), np.array([0, 0, 1]))
    np.testing.assert_allclose(cm.iou(), [1 / 2, 0.0])


def test_empty_matrix_and_shape_errors():
    cm = ConfusionMatrix(num_classes=3)
    assert math.isnan(cm.miou()) and all(math.isnan(v) for v in cm.iou())
    with pytest.raises(ValueError, match="differ in shape"):
        cm.update(np.zeros((2, 3)), np.zeros((3, 2)))


def test_tensors_and_arrays_agree_and_merge_adds():
    g = torch.Generator().manual_seed(0)
    pred = torch.randint(0, 19, (64, 80), generator=g)
    gt = torch.randint(0, 19, (64, 80), generator=g)
    gt[gt == 3] = 255
    a, b = ConfusionMatrix(), ConfusionMatrix()
    a.update(pred, gt)
    b.update(pred.numpy(), gt.numpy())
    assert np.array_equal(a.matrix, b.matrix)
    a.merge(b)
    assert np.array_equal(a.matrix, 2 * b.matrix)


@pytest.mark.parametrize("seed", range(4))
def test_parity_with_official_cityscapes_evaluation(tmp_path, seed):
    pytest.importorskip("cityscapesscripts")
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as ev
    from cityscapesscripts.helpers.labels import labels, trainId2label
    from PIL import Image

    rng = np.random.default_rng(seed)
    label_ids = [l.id for l in labels if l.id >= 0]
    id_to_train = {l.id: (l.trainId if 0 <= l.trainId < 19 else 255) for l in labels if l.id >= 0}
    args = ev.args
    args.evalInstLevelScore = False
    args.quiet = True
    conf = ev.generateMatrix(args)  # evaluatePair adds to it in place
    ours = ConfusionMatrix(num_classes=19)
    for i in range(3):
        h, w = rng.integers(20, 60, size=2)
        gt_ids = rng.choice(label_ids, size=(h, w)).astype(np.uint8)
        # drop some classes entirely to exercise NaN handling
        pred_train = rng.integers(0, 19, size=(h, w))
        pred_train[pred_train >= 15 + seed % 3] = 0
        pred_ids = np.vectorize(lambda t: trainId2label[t].id)(pred_train).astype(np.uint8)
        Image.fromarray(gt_ids).save(tmp_path / f"gt{i}.png")
        Image.fromarray(pred_ids).save(tmp_path / f"pred{i}.png")
        ev.evaluatePair(str(tmp_path / f"pred{i}.png"), str(tmp_path / f"gt{i}.png"), conf, {}, {}, args)
        ours.update(pred_train, np.vectorize(id_to_train.get)(gt_ids))
    eval_ids = [trainId2label[t].id for t in range(19)]
    official = [ev.getIouScoreForLabel(lid, conf, args) for lid in eval_ids]
    np.testing.assert_allclose(ours.iou(), official, rtol=0, atol=1e-6)
    official_mean = ev.getScoreAverage({str(i): v for i, v in enumerate(official)}, args)
    assert abs(ours.miou() - official_mean) < 1e-6


def test_defaults_are_cityscapes_19_classes_with_255_ignored():
    cm = ConfusionMatrix()
    cm.update(np.array([0, 18, 3, 5]), np.array([0, 18, 255, 19]))  # 255: not counted; 19: not a class either
    assert cm.matrix.shape == (19, 19) and cm.matrix.dtype == np.int64 and cm.matrix.sum() == 2
    assert cm.pixel_accuracy() == 1.0


@pytest.mark.parametrize("as_tensor", [False, True])
def test_targets_outside_the_classes_are_skipped_predictions_outside_are_misses(as_tensor):
    conv = torch.tensor if as_tensor else np.array
    cm = ConfusionMatrix(num_classes=3, ignore_index=7)
    cm.update(conv([0, 1, 2, 0, 1, 2, 1]), conv([0, 3, -1, 7, 255, 2, 1]))  # truths 3, -1, 7, 255: skipped
    assert cm.matrix.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    cm.update(conv([3, -1, 2]), conv([0, 1, 1]))  # predictions 3 and -1 are misses of their true class
    assert cm.matrix.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    np.testing.assert_allclose(cm.iou(), [1 / 2, 1 / 3, 1 / 2])
    assert cm.pixel_accuracy() == pytest.approx(3 / 6)


def test_a_tensor_with_an_array_and_shape_errors_name_both_shapes():
    cm = ConfusionMatrix(num_classes=3)
    cm.update(torch.tensor([0, 1]), np.array([0, 2]))
    cm.update(np.array([2]), torch.tensor([2]))
    assert cm.matrix.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    with pytest.raises(ValueError, match=r"prediction \(2, 3\) and ground truth \(3, 2\) differ in shape"):
        cm.update(torch.zeros(2, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"prediction \(2, 3\) and ground truth \(3, 2\) differ in shape"):
        cm.update(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="^confusion matrices of different class counts$"):
        cm.merge(ConfusionMatrix(num_classes=4))


def test_reset_and_the_empty_matrix_warn_about_nothing():
    import warnings

    cm = ConfusionMatrix(num_classes=3)
    cm.update(np.array([0, 1]), np.array([0, 1]))
    cm.reset()
    assert cm.matrix.sum() == 0 and cm.matrix.dtype == np.int64
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" or 0/0 warning
        assert math.isnan(cm.miou()) and math.isnan(cm.pixel_accuracy())
        assert all(math.isnan(v) for v in cm.iou())


def test_an_ignore_index_inside_the_class_range_is_skipped_too():
    for conv in (np.array, torch.tensor):
        cm = ConfusionMatrix(num_classes=3, ignore_index=1)
        cm.update(conv([0, 2, 2]), conv([0, 1, 2]))
        assert cm.matrix.tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 1]]
