"""The Qt-free label-editing model: exact pixel results of every tool, one undo
step per stroke, redo, and change notifications."""

import numpy as np
import pytest

from labor_desktop.labeling import UNLABELED, LabelEditor


def editor(h=20, w=30, **kw):
    labels = np.full((h, w), UNLABELED, np.uint8)
    return LabelEditor(labels, np.zeros((h, w), np.uint8), current_stage=2, **kw)


def disc(h, w, y, x, r):
    yy, xx = np.mgrid[0:h, 0:w]
    return (yy - y) ** 2 + (xx - x) ** 2 <= r * r


def test_brush_stroke_is_one_undo_step_and_erase_restores():
    ed = editor()
    ed.active_class = 7
    ed.begin_stroke()
    for x in (5, 6, 7, 8):
        ed.stamp(10, x, 2)
    edit = ed.end_stroke()
    expected = np.zeros((20, 30), bool)
    for x in (5, 6, 7, 8):
        expected |= disc(20, 30, 10, x, 2)
    assert np.array_equal(ed.labels != UNLABELED, expected) and set(np.unique(ed.labels[expected])) == {7}
    assert np.array_equal(ed.stage, np.where(expected, 2, 0))
    assert edit.rect == (8, 13, 3, 11)
    ed.begin_stroke("eraser")
    ed.stamp(10, 5, 1, erase=True)
    ed.end_stroke()
    assert ed.labels[10, 5] == UNLABELED and ed.stage[10, 5] == 0
    ed.undo()  # the eraser stroke
    assert ed.labels[10, 5] == 7 and ed.stage[10, 5] == 2
    ed.undo()  # the whole brush stroke at once
    assert (ed.labels == UNLABELED).all() and (ed.stage == 0).all() and not ed.can_undo()
    ed.redo()
    assert np.array_equal(ed.labels != UNLABELED, expected)
    assert ed.can_redo()


def test_brush_limited_to_the_mask_and_a_new_edit_clears_redo():
    mask = np.zeros((20, 30), bool)
    mask[:, 10:] = True
    ed = editor(mask=mask)
    ed.active_class = 3
    ed.begin_stroke()
    ed.stamp(5, 10, 3, limit_to_mask=True)
    ed.end_stroke()
    assert np.array_equal(ed.labels != UNLABELED, disc(20, 30, 5, 10, 3) & mask)
    ed.undo()
    ed.begin_stroke()
    ed.stamp(0, 0, 0)
    ed.end_stroke()
    assert not ed.can_redo()


def test_fill_and_accept_a_mask_component():
    mask = np.zeros((10, 10), bool)
    mask[1:3, 1:4] = True  # component A
    mask[3, 4] = True  # touches A diagonally: 8-connected, same component
    mask[7:9, 7:9] = True  # component B
    pred = np.arange(100, dtype=np.uint8).reshape(10, 10) % 19
    ed = editor(10, 10, mask=mask, prediction=pred)
    ed.active_class = 5
    ed.fill(1, 1)
    a = np.zeros((10, 10), bool)
    a[1:3, 1:4] = True
    a[3, 4] = True
    assert np.array_equal(ed.labels == 5, a) and (ed.labels[~a] == UNLABELED).all()
    assert ed.fill(0, 0) is None  # outside the mask: nothing
    ed.accept_component(8, 8)
    b = np.zeros((10, 10), bool)
    b[7:9, 7:9] = True
    assert np.array_equal(ed.labels[b], pred[b])
    ed.undo()
    assert (ed.labels[b] == UNLABELED).all() and (ed.labels[a] == 5).all()


def test_points_snap_label_accept_and_queue():
    pts = np.array([[2, 3, 11], [10, 20, 4]])
    ed = editor(points=pts)
    assert ed.point_near(3, 5) == 0 and ed.point_near(9, 17) == 1 and ed.point_near(15, 5) is None
    ed.active_class = 9
    with pytest.raises(TypeError):
        ed.label_point(0)  # a point needs the class the annotator chose: the active class is no default
    ed.label_point(0, 9)
    assert ed.labels[2, 3] == 9 and (ed.labels != UNLABELED).sum() == 1 and ed.stage[2, 3] == 2
    assert ed.unlabeled_points() == [1]
    ed.label_point(1, ed.model_class(1))
    assert ed.labels[10, 20] == 4 and ed.unlabeled_points() == []
    ed.undo()
    assert ed.unlabeled_points() == [1]


def test_listeners_hear_every_change_with_its_rectangle():
    ed = editor()
    heard = []
    ed.listeners.append(lambda rect, what: heard.append((rect, what)))
    ed.begin_stroke()
    ed.stamp(5, 5, 1)
    ed.end_stroke()
    ed.undo()
    assert heard == [((4, 7, 4, 7), "paint"), ((4, 7, 4, 7), "commit"), ((4, 7, 4, 7), "commit")]
    ed.begin_stroke()
    ed.stamp(5, 5, 1, erase=True)  # erasing nothing changes nothing: no undo step
    assert ed.end_stroke() is None and ed.can_redo()  # a no-op stroke keeps the redo step


def test_a_one_shot_edit_notifies_once():
    ed = editor(points=np.array([[2, 3, 1]]))
    heard = []
    ed.listeners.append(lambda rect, what: heard.append(what))
    ed.label_point(0, 4)
    assert heard == ["commit"]  # not "paint" and then "commit"


def test_a_fast_stroke_is_continuous():
    """Two mouse events 30 px apart paint the whole band between them, as a slow drag would."""
    ed = editor()
    ed.begin_stroke()
    ed.stroke_to(10, 5, 2)
    ed.stroke_to(10, 35, 2)
    ed.end_stroke()
    row = ed.labels[10, 5:36]
    assert (row != UNLABELED).all()
    band = np.argwhere(ed.labels != UNLABELED)
    assert band[:, 0].min() == 8 and band[:, 0].max() == 12  # radius 2 around the segment, no more
    slow = editor()
    slow.begin_stroke()
    for x in range(5, 36):
        slow.stamp(10, x, 2)
    slow.end_stroke()
    assert np.array_equal(slow.labels, ed.labels)


def test_a_stroke_on_the_last_row_and_column_and_one_radius_past_each_edge():
    ed = editor()  # 20 x 30
    ed.begin_stroke()
    assert ed.stamp(19, 29, 2) == (17, 20, 27, 30)  # the last row and column: clipped, painted
    assert ed.end_stroke().rect == (17, 20, 27, 30)
    assert np.array_equal(ed.labels != UNLABELED, disc(20, 30, 19, 29, 2))
    for y, x, rect in [(21, 10, (19, 20, 8, 13)), (-2, 10, (0, 1, 8, 13)), (10, 31, (8, 13, 29, 30))]:
        one = editor()
        assert one.stamp(y, x, 2) == rect  # the centre off the image by the radius: its edge pixel only
        assert np.array_equal(one.labels != UNLABELED, disc(20, 30, y, x, 2)) and (one.labels != UNLABELED).sum() == 1
    for y, x in [(22, 10), (-3, 10), (10, 32), (10, -3)]:  # one further: nothing
        none = editor()
        assert none.stamp(y, x, 2) is None and (none.labels == UNLABELED).all()


def test_a_diagonal_stroke_matches_the_brute_force_distance_to_the_segment():
    ed = editor()
    ed.begin_stroke()
    ed.stroke_to(3, 4, 3)
    ed.stroke_to(17, 40, 3)
    ed.end_stroke()
    h, w = ed.labels.shape
    expect = np.zeros((h, w), bool)
    (ay, ax), (by, bx) = (3, 4), (17, 40)
    for y in range(h):
        for x in range(w):
            t = ((y - ay) * (by - ay) + (x - ax) * (bx - ax)) / ((by - ay) ** 2 + (bx - ax) ** 2)
            t = min(1.0, max(0.0, t))
            expect[y, x] = (y - ay - t * (by - ay)) ** 2 + (x - ax - t * (bx - ax)) ** 2 <= 9
    assert np.array_equal(ed.labels != UNLABELED, expect)


def test_clear_a_point_is_an_undoable_edit():
    ed = editor(points=np.array([[2, 3, 1], [5, 6, 2]]))
    ed.label_point(1, 7)
    ed.clear_point(1)
    assert ed.point_label(1) == UNLABELED and list(ed.point_labels()) == [UNLABELED, UNLABELED]
    ed.undo()
    assert ed.point_label(1) == 7


def test_a_region_is_labelled_as_one_undo_step_keeping_other_classes_unless_confirmed():
    ed = editor(4, 6, prediction=np.array([[3, 3, 1, 1, 2, 2]] * 4, np.uint8))
    region = np.zeros((4, 6), bool)
    region[0:2, 0:4] = True  # 8 pixels
    ed.begin_stroke()
    ed.active_class = 5
    ed.stamp(0, 3, 0)  # (0, 3): class 5 labelled before
    ed.end_stroke()
    ed.active_class = 9
    ed.begin_stroke()
    ed.stamp(1, 0, 0)  # (1, 0): class 9, the class about to be given: no conflict
    ed.end_stroke()
    assert ed.region_conflicts(region, 9) == 1
    assert ed.region_classes(region) == [1, 3]  # the model's classes there, most frequent first; ties: smaller
    edit = ed.label_region(region, 9)
    assert edit is not None and edit.kind == "region"
    want = np.full((4, 6), UNLABELED, np.uint8)
    want[0:2, 0:4] = 9
    want[0, 3] = 5  # kept: another class, not confirmed
    assert np.array_equal(ed.labels, want)
    assert np.array_equal(ed.stage == 2, want != UNLABELED)
    ed.undo()  # one step undoes the whole region
    assert (ed.labels != UNLABELED).sum() == 2 and ed.labels[0, 3] == 5 and ed.labels[1, 0] == 9
    ed.redo()
    ed.label_region(region, 9, overwrite=True)  # confirmed: the other class goes too
    assert ed.labels[0, 3] == 9 and ed.region_conflicts(region, 9) == 0
    assert ed.label_region(region, 9) is None  # nothing changes: no undo step
    assert ed.region_classes(np.zeros((4, 6), bool)) == []
    assert editor(4, 6).region_classes(region) == []  # no prediction: no suggestion


def test_a_region_away_from_the_corner_changes_exactly_its_pixels_in_its_box():
    ed = editor(6, 8)
    region = np.zeros((6, 8), bool)
    region[2, 3:7] = True  # an L: row 2, columns 3..6, and column 6 down to row 4
    region[3:5, 6] = True
    ed.begin_stroke()
    ed.active_class = 5
    ed.stamp(2, 3, 0)  # the L's first pixel: another class, kept
    ed.stamp(1, 3, 0)  # outside the region: not counted
    ed.end_stroke()
    assert ed.region_conflicts(region, 9) == 1 and ed.region_conflicts(region, 5) == 0
    assert ed.region_conflicts(np.zeros((6, 8), bool), 9) == 0
    edit = ed.label_region(region, 9)
    assert edit is not None and edit.rect == (2, 5, 4, 7)  # (2, 3) kept: the changed box starts at column 4
    want = np.full((6, 8), UNLABELED, np.uint8)
    want[region] = 9
    want[2, 3] = want[1, 3] = 5
    assert np.array_equal(ed.labels, want)
    assert ed.label_region(np.zeros((6, 8), bool), 9) is None  # an empty region: no undo step
