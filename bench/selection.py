"""Selection speed, measured side by side in one run (the machine is shared and noisy).

Prints, for K = 19 and 1024x2048 probabilities on this machine's CPU with a realistic
inconsistency mask (a few % of pixels, in blobs along class boundaries):
  * inconsistency_mask + ppl_points, against the floor: probs1.max(0) + probs2.max(0),
    the two argmaxes that Eq. 3 cannot avoid (goal: at most 1.5x the floor);
  * ppl_points against the brute-force Python reference at 128x256 (goal: at least 50x).
Run: .venv/bin/python bench/selection.py [--repeat N] [--device cuda]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import bruteforce  # noqa: E402

from labor_desktop.core.selection import inconsistency_mask, ppl_points  # noqa: E402


def realistic_outputs(k, h, w, mask_share, seed=0, device="cpu"):
    """Two heads that agree except in smooth blobs covering about ``mask_share`` of the image."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(1, k, h // 32, w // 32, generator=g) * 4
    logits = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)[0]
    noise = torch.randn(1, 1, h // 16, w // 16, generator=g)
    field = torch.nn.functional.interpolate(noise, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
    thr = torch.quantile(field.flatten()[:: max(1, h * w // 1_000_000)], 1 - mask_share)
    disagree = field > thr
    logits2 = logits.clone()
    top2 = logits.topk(2, dim=0).indices
    swap = torch.zeros_like(logits2)
    swap.scatter_(0, top2[1:2], 10.0)
    logits2 = torch.where(disagree[None], logits2 + swap, logits2)
    p1 = logits.softmax(0).contiguous().to(device)
    p2 = logits2.softmax(0).contiguous().to(device)
    return p1, p2


def timeit(fn, repeat, device):
    times = []
    for _ in range(repeat):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--mask-share", type=float, default=0.03)
    args = ap.parse_args()
    dev = args.device
    print(f"torch {torch.__version__}, device {dev}, threads {torch.get_num_threads()}")

    p1, p2 = realistic_outputs(19, 1024, 2048, args.mask_share, device=dev)
    mask = inconsistency_mask(p1, p2)
    print(
        f"1024x2048, K=19: mask covers {100 * float(mask.float().mean()):.2f} % of pixels, "
        f"{len(ppl_points(p1, mask))} PPL points"
    )

    def floor():
        p1.max(0)
        p2.max(0)

    def labor():
        ppl_points(p1, inconsistency_mask(p1, p2))

    # interleave the two so drift on a shared machine hits both alike
    f_times, l_times = [], []
    for _ in range(args.repeat):
        f_times.append(timeit(floor, 1, dev))
        l_times.append(timeit(labor, 1, dev))
    f, lab = statistics.median(f_times), statistics.median(l_times)
    print(f"floor  probs1.max(0) + probs2.max(0):          {1000 * f:8.1f} ms")
    print(f"LabOR  inconsistency_mask + ppl_points:         {1000 * lab:8.1f} ms")
    print(f"ratio  (goal <= 1.5x):                          {lab / f:8.2f} x")

    p1s, p2s = realistic_outputs(19, 128, 256, args.mask_share, seed=1)
    small_mask = inconsistency_mask(p1s, p2s)
    ref_t = timeit(lambda: bruteforce.ppl_points(p1s.double().numpy(), small_mask.numpy()), 7, "cpu")
    vec_t = timeit(lambda: ppl_points(p1s, small_mask), 101, "cpu")
    same = torch.equal(
        ppl_points(p1s, small_mask), torch.as_tensor(bruteforce.ppl_points(p1s.double().numpy(), small_mask.numpy()))
    )
    print(
        f"128x256 ({int(small_mask.sum())} mask pixels): brute force {1000 * ref_t:.1f} ms, "
        f"vectorised {1000 * vec_t:.2f} ms, speed-up {ref_t / vec_t:.0f}x (goal >= 50x), same points: {same}"
    )


if __name__ == "__main__":
    main()
