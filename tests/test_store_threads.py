"""The GUI thread saves while the training thread reads: consistent snapshots, one writer."""

import threading

import numpy as np
import pytest

from labor_desktop.store import ImageEntry, Project, ProjectSettings


@pytest.mark.heavy
def test_writer_and_readers_hammering(tmp_path):
    n, h, w = 5, 48, 64
    p = Project.create(
        tmp_path / "t.labor.h5",
        ProjectSettings(classes=[str(i) for i in range(19)]),
        [ImageEntry(f"{i}.png", h, w) for i in range(n)],
    )
    stop = threading.Event()
    errors: list[str] = []
    writes = [0]

    def writer():
        rng = np.random.default_rng(0)
        k = 0
        while not stop.is_set() and k < 400:
            k += 1
            img = k % n
            cls = k % 19
            lab = np.full((h, w), 255, np.uint8)
            lab[rng.random((h, w)) < 0.2] = cls
            lab[0, 0] = cls
            p.save_labels(img, lab, 1 + cls % 7)  # the stage is a function of the class: checkable
            if k % 50 == 0:
                p.compact()
            writes[0] = k

    def reader():
        last = {}
        while not stop.is_set():
            snap = p.labels_snapshot()
            for img, (lab, stage) in snap.items():
                cls = int(lab[0, 0])
                values = set(np.unique(lab).tolist()) - {255}
                if values != {cls} or set(np.unique(stage[lab != 255]).tolist()) != {1 + cls % 7}:
                    errors.append(f"image {img}: labels {values} and stages from different saves")
                if (stage[lab == 255] != 0).any():
                    errors.append(f"image {img}: stage set on unlabeled pixels")
                last[img] = cls

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    threads[0].join(timeout=120)
    stop.set()
    for t in threads[1:]:
        t.join(timeout=30)
    assert not errors, errors[:5]
    assert writes[0] == 400
    p.close()
    q = Project.open(tmp_path / "t.labor.h5")
    assert sorted(q.labeled_images()) == list(range(n))
    assert int(q.labels(400 % n)[0][0, 0]) == 400 % 19
    q.close()
