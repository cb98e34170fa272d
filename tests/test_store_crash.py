"""SIGKILL at random moments: the project always opens and holds every acknowledged save.

A child process saves labels in a loop (and compacts now and then, so kills also land
inside compactions) and prints "ACK image seq" after each save returns; the parent kills
it at a random moment, opens the project, and checks every acknowledged save is there.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from labor_desktop.store import ImageEntry, Project, ProjectSettings

N_IMAGES, H, W = 6, 192, 384
CHILD = r"""
import sys, numpy as np
from labor_desktop.store import Project
path = sys.argv[1]
p = Project.open(path)
def seq_of(lab):
    d = lab[0, :5].astype(int)
    return int(((d[0] * 19 + d[1]) * 19 + d[2]) * 19 + d[3]) * 19 + d[4] if (d != 255).all() else -1
seq = max([seq_of(p.labels(i)[0]) for i in p.labeled_images()] + [0])
rng = np.random.default_rng(seq)
n = len(p.images)
while True:
    seq += 1
    img = seq % n
    lab = np.full((p.images[img].height, p.images[img].width), 255, np.uint8)
    m = rng.random(lab.shape) < 0.03
    lab[m] = rng.integers(0, 19, int(m.sum()))
    s, digits = seq, []
    for _ in range(5):
        digits.append(s % 19)
        s //= 19
    lab[0, :5] = digits[::-1]
    p.save_labels(img, lab, 1 + seq % 5)
    print(f"ACK {img} {seq}", flush=True)
    if seq % 5 == 0:
        p.add_effort(img, clicks=1)
    if seq % 7 == 0:
        p.compact()
"""


def seq_of(lab):
    d = lab[0, :5].astype(int)
    if (d == 255).any():
        return -1
    return int(((d[0] * 19 + d[1]) * 19 + d[2]) * 19 + d[3]) * 19 + d[4]


@pytest.mark.slow  # 13 s unloaded: kills at many random moments
def test_sigkill_never_loses_an_acknowledged_save(tmp_path):
    path = tmp_path / "crash.labor.h5"
    settings = ProjectSettings(classes=[str(i) for i in range(19)])
    Project.create(path, settings, [ImageEntry(f"i{i}.png", H, W) for i in range(N_IMAGES)]).close()
    acked: dict[int, int] = {}
    rnd = random.Random(1)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    kills, total_acks = 0, 0
    while kills < 24:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda lines=lines, child=child: lines.extend(iter(child.stdout.readline, "")), daemon=True
        )
        reader.start()
        while not lines and child.poll() is None:  # the event: the first acknowledged save (or the end)
            time.sleep(0.01)  # polling; no deadline of its own: the timeout mark guards a hang
        assert lines, f"child never acknowledged a save: {child.stderr.read() if child.poll() is not None else ''}"
        time.sleep(rnd.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        reader.join(timeout=5)
        kills += 1
        for line in list(lines):
            if line.startswith("ACK "):
                _, img, seq = line.split()
                acked[int(img)] = max(acked.get(int(img), 0), int(seq))
                total_acks += 1
        p = Project.open(path, read_only=True)
        try:
            for img, seq in acked.items():
                stored = seq_of(p.labels(img)[0])
                assert stored >= seq, (
                    f"after kill {kills}: image {img} holds save {stored}, save {seq} was acknowledged"
                )
                assert stored % N_IMAGES == img
        finally:
            p.close()
    assert total_acks > kills  # the kills landed while saves were happening
    p = Project.open(path)  # and a writable open (replay, truncation of a torn tail) works too
    assert all(seq_of(p.labels(img)[0]) >= seq for img, seq in acked.items())
    p.close()
    assert not (tmp_path / "crash.labor.h5.tmp").exists()
