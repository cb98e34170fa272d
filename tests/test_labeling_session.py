"""The rest of the Qt-free labelling layer: image status from arrays, the point
queue's order and heads-up line, and the session state that widgets observe."""

import numpy as np
import pytest

from labor_desktop.labeling import UNLABELED, QueueModel, SessionState, Tool, image_status, unlabeled_points


def test_image_status_counts_labelled_points_and_open_mask_pixels():
    labels = np.full((4, 5), UNLABELED, np.uint8)
    mask = np.zeros((4, 5), bool)
    mask[1:3, 1:4] = True  # 6 pixels
    points = np.array([[1, 1, 0], [2, 3, 5], [0, 0, 2]])
    st = image_status(labels, mask, points)
    assert (st.points, st.labeled_points, st.open_points, st.open_mask_pixels) == (3, 0, 3, 6)
    assert st.mask_share == 6 / 20 and st.labeled_share == 0 and not st.done
    labels[1, 1] = 4
    labels[2, 3] = 0  # class 0 is a label too
    labels[3, 4] = 1  # outside the mask and the points
    st = image_status(labels, mask, points)
    assert (st.labeled_points, st.open_points, st.open_mask_pixels) == (2, 1, 4)
    assert st.labeled_share == 3 / 20 and not st.done
    labels[0, 0] = 2
    assert image_status(labels, mask, points).done


def test_an_image_without_points_is_done_once_it_has_labels():
    labels = np.full((4, 5), UNLABELED, np.uint8)
    assert not image_status(labels, None, np.zeros((0, 3))).done
    labels[0, 0] = 3
    st = image_status(labels, None, np.zeros((0, 3)))
    assert st.done and st.open_mask_pixels == 0 and st.mask_share == 0


def test_queue_order_skips_labelled_points():
    pts = {0: np.array([[0, 0, 1], [1, 1, 2]]), 1: np.zeros((0, 3), int), 2: np.array([[2, 2, 3]])}
    labs = {i: np.full((3, 3), UNLABELED, np.uint8) for i in pts}
    labs[0][1, 1] = 5
    assert unlabeled_points(3, pts.__getitem__, labs.__getitem__) == [(0, 0), (2, 0)]


def test_queue_walks_forward_and_back_and_says_where_it_is():
    q = QueueModel([(0, 0), (0, 3), (1, 2)])
    assert q.current == (0, 0) and not q.back()
    assert q.step() and q.current == (0, 3)
    line = q.heads_up("eastwick_000002", 60, ("road", 0.62))
    assert line.startswith("point 2/3 · image eastwick_000002 (1/60) · suggestion: road 0.62")
    assert "Enter accept road" in line and "Space unsure" in line and "Esc stop" in line
    assert "suggestion: road ·" in q.heads_up("x", 2, ("road", None))
    no_suggestion = q.heads_up("x", 2, None)
    assert "Enter" not in no_suggestion  # nothing on screen to accept
    assert q.step() and not q.step() and q.current == (1, 2)
    q.noun = "region"  # a stage whose points stand for superpixels
    assert q.heads_up("x", 2, ("road", 0.5)).startswith("region 3/3 · image x (2/2) · suggestion: road 0.50")


def test_the_heads_up_line_word_for_word_and_marked_unsure_only_on_its_own_point():
    q = QueueModel([(0, 0), (1, 2)])
    keys = "[class key] label · Space unsure · Backspace back · Esc stop"
    assert q.heads_up("a", 2, ("road", 0.62)) == (
        "point 1/2 · image a (1/2) · suggestion: road 0.62 · [class key] label · Enter accept road · "
        "Space unsure · Backspace back · Esc stop"
    )
    q.unsure.add((0, 0))
    assert q.heads_up("a", 2, None) == f"point 1/2 · image a (1/2) · marked unsure · {keys}"
    assert q.step() and q.current == (1, 2)
    q.unsure |= {(0, 2), (1, 0)}  # the same point index on another image, another point on this one
    assert q.heads_up("b", 2, None) == f"point 2/2 · image b (2/2) · {keys}"
    q.unsure.add((1, 2))
    assert q.heads_up("b", 2, ("car", None)) == (
        "point 2/2 · image b (2/2) · suggestion: car · marked unsure · [class key] label · Enter accept car · "
        "Space unsure · Backspace back · Esc stop"
    )


def test_session_state_notifies_once_with_what_changed():
    s = SessionState()
    heard = []
    s.listeners.append(heard.append)
    s.update(active_class=3, tool=Tool.BRUSH)
    s.update(active_class=3)  # no change: no event
    s.update(brush_radius=10_000)
    assert heard == [{"active_class", "tool"}, {"brush_radius"}] and s.brush_radius == 200
    with pytest.raises(AttributeError):
        s.update(colour="red")


def test_session_state_round_trips_and_ignores_what_no_longer_fits():
    s = SessionState(active_class=5, tool=Tool.ERASER, brush_radius=9, limit_to_mask=True, fast_points=True)
    again = SessionState()
    again.restore(s.to_dict(), n_classes=19)
    assert again.to_dict() == s.to_dict()
    other = SessionState()
    other.restore({"active_class": 25, "tool": "lasso", "brush_radius": "big", "fast_points": 1}, n_classes=19)
    assert other.to_dict() == SessionState().to_dict()
