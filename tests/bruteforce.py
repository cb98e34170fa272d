"""Slow, obviously-correct references in plain Python loops, for the selection tests."""

import math

import numpy as np


def argmax_first(values):
    best, best_i = -math.inf, None
    for i, v in enumerate(values):
        if v > best:
            best, best_i = v, i
    return best_i


def inconsistency_mask(out1, out2):
    k, h, w = out1.shape
    m = np.zeros((h, w), dtype=bool)
    for y in range(h):
        for x in range(w):
            m[y, x] = argmax_first(out1[:, y, x]) != argmax_first(out2[:, y, x])
    return m


def ppl_points(probs, mask, pick="nearest"):
    k, h, w = probs.shape
    groups = {}
    for y in range(h):  # raster order
        for x in range(w):
            if mask[y, x]:
                v = [float(a) for a in probs[:, y, x]]
                groups.setdefault(argmax_first(v), []).append((y, x, v))
    rows = []
    for c in sorted(groups):
        members = groups[c]
        proto = [sum(m[2][j] for m in members) / len(members) for j in range(k)]
        scores = []
        for _, _, v in members:
            if pick == "sconf":
                s = 1 - max(v)
            elif pick == "ent":
                s = -sum(p * math.log(p) for p in v if p > 0)
            else:
                dot = sum(a * b for a, b in zip(v, proto))
                nv = math.sqrt(sum(a * a for a in v))
                npr = math.sqrt(sum(a * a for a in proto))
                d = 1 - dot / max(nv * npr, 1e-12)
                s = -d if pick == "nearest" else d
            scores.append(s)
        i = argmax_first(scores)
        rows.append((members[i][0], members[i][1], c))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def top_n(score, n, exclude=None):
    h, w = score.shape
    cands = [
        (-float(score[y, x]), y * w + x) for y in range(h) for x in range(w) if exclude is None or not exclude[y, x]
    ]
    cands.sort()
    out = np.zeros(h * w, dtype=bool)
    for _, i in cands[:n]:
        out[i] = True
    return out.reshape(h, w)


def window(h, w, y, x, r):
    return [
        (yy, xx) for yy in range(max(0, y - r), min(h, y + r + 1)) for xx in range(max(0, x - r), min(w, x + r + 1))
    ]


def entropy(v):
    return -sum(p * math.log(p) for p in v if p > 0)


def impurity(pred, y, x, r, k, normalize):
    h, w = pred.shape
    win = window(h, w, y, x, r)
    hist = [0] * k
    for yy, xx in win:
        hist[pred[yy, xx]] += 1
    e = entropy([c / len(win) for c in hist])
    return e / math.log(k) if normalize else e


def ripu_region_scores(probs, r):
    k, h, w = probs.shape
    pred = probs.argmax(0)
    ent = np.array([[entropy(probs[:, y, x]) / math.log(k) for x in range(w)] for y in range(h)])
    out = np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            win = window(h, w, y, x, r)
            unc = sum(ent[p] for p in win) / len(win)
            out[y, x] = impurity(pred, y, x, r, k, True) * unc
    return out


def ripu_pixel_scores(probs, r):
    k, h, w = probs.shape
    pred = probs.argmax(0)
    return np.array([[entropy(probs[:, y, x]) * impurity(pred, y, x, r, k, False) for x in range(w)] for y in range(h)])


def greedy(score, n, radius, exclude=None):
    """The definition: repeatedly take the global argmax (first in raster order) and suppress."""
    s = score.astype(np.float64).copy()
    if exclude is not None:
        s[exclude] = -np.inf
    picks = []
    while len(picks) < n:
        i = int(np.argmax(s))
        y, x = divmod(i, s.shape[1])
        if not np.isfinite(s[y, x]):
            break
        picks.append((y, x))
        s[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1] = -np.inf
    return picks


def rank_regions(sp, mask, n, discrepancy=None, labeled=None):
    """Regions by share inside ``mask`` (desc), mean ``discrepancy`` (desc), id (asc); only
    regions the mask touches and not more than half ``labeled``: loops over pixels."""
    sp = sp.tolist()
    rows = []
    for rid in range(max(max(r) for r in sp) + 1):
        cells = [(y, x) for y, row in enumerate(sp) for x, v in enumerate(row) if v == rid]
        size = len(cells)
        inside = sum(bool(mask[y][x]) for y, x in cells)
        disc = sum(float(discrepancy[y][x]) for y, x in cells) / size if discrepancy is not None else 0.0
        done = labeled is not None and 2 * sum(bool(labeled[y][x]) for y, x in cells) > size
        if inside > 0 and not done:
            rows.append((-inside / size, -disc, rid))
    return [rid for _, _, rid in sorted(rows)][: max(0, n)]


def rank_pure_regions(sp, mask, pred, n, discrepancy=None, labeled=None, min_purity=0.0):
    """Regions by purity >= ``min_purity`` first, then share inside ``mask`` x predicted purity
    (exact fractions, desc), mean ``discrepancy`` (desc), id (asc); purity = the share of the
    region's pixels of its most frequent ``pred`` class; only regions the mask touches and not
    more than half ``labeled``: loops over pixels."""
    from fractions import Fraction

    sp = sp.tolist()
    rows = []
    for rid in range(max(max(r) for r in sp) + 1):
        cells = [(y, x) for y, row in enumerate(sp) for x, v in enumerate(row) if v == rid]
        size = len(cells)
        inside = sum(bool(mask[y][x]) for y, x in cells)
        votes: dict[int, int] = {}
        for y, x in cells:
            votes[int(pred[y][x])] = votes.get(int(pred[y][x]), 0) + 1
        best = max(votes.values())
        disc = sum(float(discrepancy[y][x]) for y, x in cells) / size if discrepancy is not None else 0.0
        done = labeled is not None and 2 * sum(bool(labeled[y][x]) for y, x in cells) > size
        if inside > 0 and not done:
            tier = 0 if Fraction(best, size) >= Fraction(min_purity) else 1
            rows.append((tier, -Fraction(inside * best, size * size), -disc, rid))
    return [row[-1] for row in sorted(rows)][: max(0, n)]
