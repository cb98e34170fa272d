import numpy as np

from labor_desktop.data import classes


def test_tables_agree_with_cityscapesscripts_entry_by_entry():
    from cityscapesscripts.helpers.labels import labels as official

    assert len(classes.LABELS) == len(official)
    for ours, theirs in zip(classes.LABELS, official):
        expected_train = theirs.trainId if 0 <= theirs.trainId < 19 else 255
        assert (ours.name, ours.id, ours.train_id, ours.color) == (theirs.name, theirs.id, expected_train, theirs.color)
    train = sorted((l for l in official if 0 <= l.trainId < 19), key=lambda l: l.trainId)
    assert classes.CLASS_NAMES == tuple(l.name for l in train)
    assert classes.CLASS_COLORS.tolist() == [list(l.color) for l in train]


def test_id_to_train_lut_covers_every_byte():
    from cityscapesscripts.helpers.labels import id2label

    for value in range(256):
        label = id2label.get(value)
        expected = label.trainId if label is not None and 0 <= label.trainId < 19 else 255
        assert classes.ID_TO_TRAIN[value] == expected, value
    ids = np.array([[7, 8, 0], [33, 1, 250]], dtype=np.uint8)
    assert classes.label_ids_to_train_ids(ids).tolist() == [[0, 1, 255], [18, 255, 255]]


def test_colorize_uses_official_colours():
    img = classes.colorize(np.array([[0, 10, 255]], dtype=np.uint8))
    assert img.tolist() == [[[128, 64, 128], [70, 130, 180], [0, 0, 0]]]
    assert classes.NUM_CLASSES == 19 and classes.TRAIN_TO_LABEL_ID[13] == 26
