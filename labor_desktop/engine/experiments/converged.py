"""The supervised reference trained until it stops improving (issue 23).

``supervised`` in a comparison retrains on every pool pixel with the strategies' own
budget (``[retrain] steps`` per stage), so it is still rising at the last stage; the paper's
"fully supervised" row is a converged model.  This trains the warm-up model on the pool's
ground truth in rounds of the same length, evaluates on the target validation set after
each, and stops when the mIoU has not risen for ``[reference] patience`` rounds.  It uses
the validation set to stop, as an oracle reference may: no strategy is tuned on it."""

from __future__ import annotations

from pathlib import Path

from ...core.checkpoint import load_model, save_checkpoint
from ..jobs.adaptation import retrain
from ..run_jobs import Context, evaluate_on_val, run_job
from ..run_state import RunState

NAME = "supervised-converged"


def best_round(mious: list[float], patience: int) -> tuple[int, bool]:
    """The index of the best round so far (the first of equal ones) and whether training
    should stop: ``patience`` rounds after it without a higher mIoU."""
    best = max(range(len(mious)), key=lambda i: (mious[i], -i))
    return best, len(mious) - 1 - best >= patience


def converged_supervised(out: Path, ctx: Context, warm: dict) -> list[dict]:
    """A history like a strategy's (stage 0: the warm-up model; then one row, the best
    round, at the comparison's last stage) with ``rounds`` and ``steps`` trained."""
    cfg = ctx.cfg
    state = RunState(out, {"config": cfg.to_dict(), "start": warm["checkpoint"]}, ctx.rt.is_main)

    def converge(seed: int) -> dict:
        model = load_model(warm["checkpoint"], cfg.model)
        data = ctx.data.truth_target_set(seed)
        mious: list[float] = []
        evaluations: list[dict] = []
        best_path = state.checkpoint("best")
        for r in range(cfg.reference.max_rounds):
            retrain(model, data, None, None, cfg.retrain, seed + r, ctx.rt, ctx.progress, ctx.cancel, stage=1)
            ev = evaluate_on_val(model, ctx)
            mious.append(ev["miou"])
            evaluations.append(ev)
            best, stop = best_round(mious, cfg.reference.patience)
            if best == r and ctx.rt.is_main:
                save_checkpoint(best_path, model, {"job": NAME, "round": r + 1})
            if stop:
                break
        best, _ = best_round(mious, cfg.reference.patience)
        return {
            **evaluations[best],
            "checkpoint": str(best_path),
            "rounds": len(mious),
            "best_round": best + 1,
            "steps": (best + 1) * cfg.retrain.steps,
            "miou_by_round": mious,
        }

    result = run_job(state, ctx, "converge", converge, main_only=True)
    row = {k: result[k] for k in ("miou", "iou", "pixel_accuracy")}
    budget = {"unit": "all", "pixel_share": 1.0, "labeled_share": 1.0}
    extra = {k: result[k] for k in ("rounds", "best_round", "steps", "miou_by_round")}
    return [
        {"stage": 0, **warm["evaluation"], "budget": None},
        {"stage": cfg.stages, **row, "budget": budget, **extra},
    ]
