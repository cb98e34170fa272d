"""Exact boundaries of the labelling model, written for the survivors of a fresh mutation
run of labeling/ (docs/testing.md): a region's box at its last row and column, the pixels a
region label changes when its own edges are labelled already, tie order among 19 classes,
the point snap radius, the queue's way back, and the session's ranges."""

import numpy as np
import pytest

from labor_desktop.labeling import UNLABELED, LabelEditor, QueueModel, SessionState, unlabeled_points
from labor_desktop.labeling.editing import region_top_classes

# 19 classes where classes 3..8 have one vote and the rest two: numpy's default sort orders
# the ties differently from a stable one, so "ties: the smaller class" is pinned down.
VOTES = [2, 2, 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
STABLE = [0, 1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 3, 4, 5, 6, 7, 8]


def editor(h, w, **kw):
    return LabelEditor(np.full((h, w), UNLABELED, np.uint8), np.zeros((h, w), np.uint8), current_stage=2, **kw)


def paint(ed, cls, pixels):
    ed.active_class = cls
    ed.begin_stroke()
    for y, x in pixels:
        ed.stamp(y, x, 0)
    ed.end_stroke()


def framed_block():
    """A 4x4 region (rows 3..6, columns 2..5) of a 9x10 image whose top row and right column
    are class 5 and whose bottom row and left column are class 9 already."""
    ed = editor(9, 10)
    region = np.zeros((9, 10), bool)
    region[3:7, 2:6] = True
    paint(ed, 5, [(3, x) for x in range(2, 6)] + [(y, 5) for y in range(4, 7)])
    paint(ed, 9, [(6, x) for x in range(2, 5)] + [(y, 2) for y in range(4, 6)])
    return ed, region


def test_conflicts_are_counted_up_to_the_regions_last_row_and_column():
    ed, region = framed_block()
    assert ed.region_conflicts(region, 9) == 4 + 3  # class 5: the top row and the right column below it
    assert ed.region_conflicts(region, 5) == 3 + 2  # class 9: the bottom row but its corner, the left column
    assert ed.region_conflicts(region, 1) == 12


def test_a_region_label_changes_only_its_open_pixels_and_says_so_in_its_rect():
    ed, region = framed_block()
    before = ed.labels.copy()
    edit = ed.label_region(region, 9)
    assert edit is not None and edit.rect == (4, 6, 3, 5)  # the block's open 2x2 middle
    want = before.copy()
    want[4:6, 3:5] = 9
    assert np.array_equal(ed.labels, want)
    assert np.array_equal(edit.where, np.ones((2, 2), bool))
    ed.undo()
    assert np.array_equal(ed.labels, before)


def test_region_classes_order_ties_by_class_and_keep_a_class_of_one_pixel():
    prediction = np.repeat(np.arange(19), VOTES).reshape(1, -1).astype(np.uint8)
    ed = editor(*prediction.shape, prediction=prediction)
    assert ed.region_classes(np.ones(prediction.shape, bool)) == STABLE


def test_region_top_classes_order_ties_by_class_with_their_float64_mean():
    probs = np.repeat((np.array(VOTES, np.float32) / sum(VOTES))[:, None, None], 4, axis=2)
    ys, xs = np.zeros(4, int), np.arange(4)
    got = region_top_classes(probs, ys, xs, 19)
    assert [k for k, _ in got] == STABLE
    rng = np.random.default_rng(0)
    noisy = rng.random((3, 1, 999), dtype=np.float32)
    top = region_top_classes(noisy, np.zeros(999, int), np.arange(999), 3)
    assert {k: p for k, p in top} == {k: float(noisy[k].astype(np.float64).mean()) for k in range(3)}
    assert region_top_classes(probs, ys, xs, 0) == [] and region_top_classes(probs, ys[:0], xs[:0], 3) == []


@pytest.mark.parametrize("x, found", [(14.0, 0), (14.5, None)])
def test_a_click_snaps_to_a_point_exactly_four_pixels_away_and_no_further(x, found):
    ed = editor(20, 30, points=np.array([[10, 10, 0]]))
    assert ed.point_near(10, x) == found


def test_point_labels_read_each_point_at_its_row_and_column():
    ed = editor(4, 5, points=np.array([[1, 3, 2], [2, 0, 4]]))
    ed.labels[1, 3], ed.labels[2, 0], ed.labels[3, 3], ed.labels[0, 0] = 7, 8, 1, 1
    got = ed.point_labels()
    assert got.dtype == np.uint8 and got.tolist() == [7, 8]
    empty = editor(4, 5).point_labels()
    assert empty.dtype == np.uint8 and empty.shape == (0,)


def test_can_undo_follows_the_undo_stack():
    ed = editor(4, 5)
    assert not ed.can_undo()
    paint(ed, 3, [(1, 1)])
    assert ed.can_undo()
    ed.undo()
    assert not ed.can_undo()


def test_the_queue_reads_labels_at_row_then_column():
    pts = {0: np.array([[0, 2, 1], [2, 1, 1]])}
    labels = np.full((3, 3), UNLABELED, np.uint8)
    labels[2, 0] = labels[1, 2] = 4  # the transposed places: labelled, but not where the points are
    assert unlabeled_points(1, pts.__getitem__, lambda i: labels) == [(0, 0), (0, 1)]
    labels[0, 2] = 4
    assert unlabeled_points(1, pts.__getitem__, lambda i: labels) == [(0, 1)]


def test_the_queue_steps_back_one_at_a_time_to_the_first():
    q = QueueModel([(0, 0), (0, 1), (1, 0)])
    assert q.labeled == 0 and q.pos == 0
    q.step(), q.step()
    assert q.back() and q.pos == 1
    assert q.back() and q.pos == 0
    assert not q.back() and q.pos == 0


def test_session_state_refuses_its_listeners_and_keeps_a_zero_brush():
    s = SessionState()
    with pytest.raises(AttributeError, match="listeners"):
        s.update(listeners=[])
    assert s.update(brush_radius=0) == {"brush_radius"} and s.brush_radius == 0
    assert s.update(brush_radius=-3) == set() and s.brush_radius == 0


@pytest.mark.parametrize("k, restored", [(0, 0), (18, 18), (19, 4), (-1, 4)])
def test_restore_takes_an_active_class_from_zero_to_the_last(k, restored):
    s = SessionState(active_class=4)
    s.restore({"active_class": k}, n_classes=19)
    assert s.active_class == restored


def test_stamps_of_one_stroke_are_discs_not_joined_and_a_point_label_is_a_point_edit():
    ed = editor(9, 20)
    ed.active_class = 3
    ed.begin_stroke()
    ed.stamp(4, 2, 1)
    ed.stamp(4, 17, 1)  # far from the first: a stamp paints its disc only
    ed.end_stroke()
    assert int((ed.labels == 3).sum()) == 2 * 5 and ed.labels[4, 9] == UNLABELED
    pts = editor(9, 20, points=np.array([[2, 5, 1]]))
    edit = pts.label_point(0, 6)
    assert edit is not None and edit.kind == "point" and edit.rect == (2, 3, 5, 6)


def test_fill_and_accept_are_their_own_kinds_of_edit():
    mask = np.zeros((6, 8), bool)
    mask[1:3, 2:5] = True
    prediction = np.full((6, 8), 7, np.uint8)
    ed = editor(6, 8, mask=mask, prediction=prediction)
    ed.active_class = 4
    fill = ed.fill(1, 2)
    assert fill is not None and fill.kind == "fill" and fill.rect == (1, 3, 2, 5)
    ed.undo()
    accept = ed.accept_component(2, 4)
    assert accept is not None and accept.kind == "accept" and int((ed.labels == 7).sum()) == 6


def test_undo_after_redo_undoes_the_redone_edit():
    ed = editor(4, 5)
    paint(ed, 3, [(1, 1)])
    ed.undo()
    ed.redo()
    assert ed.labels[1, 1] == 3
    ed.undo()
    assert ed.labels[1, 1] == UNLABELED


def test_accept_without_a_prediction_changes_nothing():
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:3] = True
    ed = editor(4, 5, mask=mask)
    assert ed.prediction is None
    assert ed.accept_component(1, 1) is None
    assert (ed.labels == UNLABELED).all()


def test_a_component_at_the_last_row_and_column_is_filled_whole():
    mask = np.zeros((4, 5), bool)
    mask[2:4, 3:5] = True  # touches the bottom row and the right column
    ed = editor(4, 5, mask=mask)
    ed.active_class = 6
    assert ed.fill(3, 4) is not None
    assert np.array_equal(ed.labels == 6, mask)


def test_the_editor_owns_copies_of_the_maps_and_starts_on_class_0_with_integer_points():
    labels = np.full((4, 5), UNLABELED, np.uint8)
    stage = np.zeros((4, 5), np.uint8)
    ed = LabelEditor(labels, stage, current_stage=2, points=np.array([[1.0, 2.0, 3.0]]))
    assert ed.active_class == 0
    assert ed.points.dtype == np.int64 and ed.points.tolist() == [[1, 2, 3]]
    paint(ed, 4, [(1, 1)])
    assert ed.labels[1, 1] == 4 and ed.stage[1, 1] == 2
    assert labels[1, 1] == UNLABELED and stage[1, 1] == 0  # the caller's arrays are untouched
    bare = editor(4, 5)
    assert bare.points.shape == (0, 3) and bare.points.dtype == np.int64


def test_a_brush_stroke_is_the_segment_band_exactly_and_its_own_kind():
    mask = np.zeros((12, 14), bool)  # strokes are not limited to the mask unless asked
    ed = editor(12, 14, mask=mask)
    ed.active_class = 3
    ed.begin_stroke()
    ed.stroke_to(5, 3, 2)
    ed.stroke_to(5, 8, 2)
    edit = ed.end_stroke()
    assert edit is not None and edit.kind == "brush"
    painted = ed.labels == 3
    assert painted[7, 5] and not painted[8, 5]  # exactly the radius from the segment: inside
    assert painted[5, 10] and not painted[5, 11]  # the band ends at the segment's end (+ radius)
    assert not painted[7, 10] and not painted[3, 10]  # a disc there, not the line's band: 2.83 > 2
    assert painted[5, 1] and not painted[5, 0]


def test_undo_of_a_downward_or_rightward_stroke_restores_every_pixel():
    for start, end in (((1, 1), (8, 1)), ((1, 1), (1, 8))):
        ed = editor(10, 10)
        ed.active_class = 2
        ed.begin_stroke()
        ed.stroke_to(*start, 0)
        ed.stroke_to(*end, 0)
        ed.end_stroke()
        assert (ed.labels == 2).sum() == 8
        ed.undo()
        assert (ed.labels == UNLABELED).all() and (ed.stage == 0).all()


def test_a_new_class_at_the_same_stage_is_an_edit_that_undo_reverts():
    ed = editor(4, 5)
    paint(ed, 3, [(1, 1)])
    ed.active_class = 4
    ed.begin_stroke()
    ed.stamp(1, 1, 0)
    assert ed.end_stroke() is not None  # the stages are equal, the class is not
    ed.undo()
    assert ed.labels[1, 1] == 3


def test_accepting_a_prediction_with_unlabelled_pixels_leaves_their_stage_0():
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:4] = True
    prediction = np.full((4, 5), 7, np.uint8)
    prediction[1, 1] = UNLABELED
    ed = editor(4, 5, mask=mask, prediction=prediction)
    assert ed.accept_component(2, 2) is not None
    assert ed.labels[1, 1] == UNLABELED and ed.stage[1, 1] == 0
    assert ed.labels[2, 2] == 7 and ed.stage[2, 2] == 2
