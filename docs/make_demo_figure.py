"""Regenerate docs/images/demo-data.png: source and target images beside their colour labels.

Run: .venv/bin/python docs/make_demo_figure.py
"""

from pathlib import Path

import cv2
import numpy as np

from labor_desktop.data.classes import CLASS_COLORS, CLASS_NAMES, colorize, label_ids_to_train_ids
from labor_desktop.data.demo_generator import make_image


def caption(width: int, text: str) -> np.ndarray:
    bar = np.full((22, width, 3), 255, np.uint8)
    cv2.putText(bar, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return bar


def legend(width: int) -> np.ndarray:
    cols, cell = 5, width // 5
    rows = -(-len(CLASS_NAMES) // cols)
    out = np.full((rows * 20 + 6, width, 3), 255, np.uint8)
    for i, (name, color) in enumerate(zip(CLASS_NAMES, CLASS_COLORS)):
        x, y = (i % cols) * cell + 6, (i // cols) * 20 + 4
        cv2.rectangle(out, (x, y), (x + 14, y + 14), tuple(int(c) for c in color), -1)
        cv2.putText(out, name, (x + 20, y + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def main() -> None:
    size, n = (256, 512), 3
    blocks = []
    for domain, split, title in (
        ("source", "train", "source domain (GTA5 layout): flat rendered shading, saturated colours"),
        ("target", "val", "target domain (Cityscapes layout): muted palette, texture, blur, noise, lower camera"),
    ):
        rows = [caption(2 * size[1], title)]
        for i in range(n):
            img, lab = make_image(domain, split, i, size, 0)
            lab_rgb = colorize(label_ids_to_train_ids(lab))
            rows.append(np.concatenate([img, lab_rgb], axis=1))
        blocks.append(np.concatenate(rows, axis=0))
    grid = np.concatenate([blocks[0], np.full((blocks[0].shape[0], 8, 3), 255, np.uint8), blocks[1]], axis=1)
    grid = np.concatenate([grid, legend(grid.shape[1])], axis=0)
    out = Path(__file__).resolve().parent / "images" / "demo-data.png"
    cv2.imwrite(str(out), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(out)


if __name__ == "__main__":
    main()
