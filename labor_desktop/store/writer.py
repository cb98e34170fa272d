"""Writing a whole project file: to ``NAME.tmp``, fsync, then an atomic rename over
the old file, so a kill at any moment leaves either the old file or the new one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np

from . import codec
from .schema import FORMAT, VERSION, ImageEntry, ProjectSettings

# labels/<image>: attribute bbox (y0, y1, x0, x1); each dataset a zlib stream (see codec.encode_labels)
LABEL_BLOBS = ("mask", "classes", "stages")


def write_project(
    path: Path,
    settings: ProjectSettings,
    images: list[ImageEntry],
    effort: np.ndarray,
    history: dict,
    labels: dict,
    proposals: dict,
    base: h5py.File | None = None,
    stage_effort: dict | None = None,
    unsure: dict | None = None,
) -> None:
    """``labels``: image -> labels payload and ``proposals``: (stage, image) -> proposal
    payload (journal encodings), the newer states; anything else is copied from ``base``."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with h5py.File(tmp, "w", libver="latest") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = VERSION
            f.attrs["settings"] = json.dumps(settings.to_dict())
            f.attrs["history"] = json.dumps({str(k): v for k, v in history.items()})
            f.attrs["stage_effort"] = json.dumps({str(k): v for k, v in (stage_effort or {}).items()})
            f.attrs["unsure"] = json.dumps(
                {str(s): {str(i): ks for i, ks in per.items() if ks} for s, per in (unsure or {}).items()}
            )
            g = f.create_group("images")
            g.create_dataset("path", data=np.array([e.path for e in images], dtype=h5py.string_dtype()))
            g.create_dataset("height", data=np.array([e.height for e in images], np.int32))
            g.create_dataset("width", data=np.array([e.width for e in images], np.int32))
            f.create_dataset("effort", data=np.asarray(effort, np.float64))
            lab = f.create_group("labels")
            if base is not None and "labels" in base:
                for key in base["labels"]:
                    if int(key) not in labels:
                        base.copy(base["labels"][key], lab, name=key)
            for i, payload in labels.items():
                header, blobs = codec.decode(payload)
                if header["bbox"] is None:
                    continue  # everything erased: no labels to keep
                gi = lab.create_group(str(i))
                gi.attrs["bbox"] = np.array(header["bbox"], np.int32)
                for name, blob in zip(LABEL_BLOBS, blobs):
                    gi.create_dataset(name, data=np.frombuffer(blob, np.uint8))
            props = f.create_group("proposals")
            if base is not None and "proposals" in base:
                for skey in base["proposals"]:
                    for key in base["proposals"][skey]:
                        if (int(skey), int(key)) not in proposals:
                            dst = props.require_group(skey)
                            base.copy(base["proposals"][skey][key], dst, name=key)
            for (stage, i), payload in proposals.items():
                header, blobs = codec.decode(payload)
                gi = props.require_group(str(stage)).create_group(str(i))
                if header["has_mask"]:
                    gi.create_dataset("mask", data=np.frombuffer(blobs[0], np.uint8))
                gi.create_dataset("points", data=np.frombuffer(blobs[1], np.int32).reshape(-1, 3))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
