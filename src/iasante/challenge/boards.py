"""Leaderboards of a phase: one board per metric, each team's counted submission plus the baselines.

The counted submission follows the phase's rule: ``best`` (best primary metric) or ``last`` (latest scored).
Boards are cached per phase until a submission is scored (bootstrap CIs are the costly part).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from sqlalchemy import select

from iasante.challenge.db import Challenge, Phase, Submission, Team
from iasante.challenge.io import TruthTable
from iasante.challenge.metrics import get_metric
from iasante.challenge.ranking import CLASSIFICATION, Candidate, build_board
from iasante.challenge.schemas import BoardPublic, BoardRowPublic, LeaderboardPublic
from iasante.challenge.scoring import metric_input
from iasante.challenge.store import (
    board_context,
    get_challenge_row,
    is_organiser,
    load_truth,
    phase_is_revealed,
    phase_named,
    subset_mask,
    unpack,
)
from iasante.challenge.submissions import ACTIVE, reconcile
from iasante.core import audit
from iasante.core.auth import Principal
from iasante.core.db import session_scope

_CACHE_SIZE = 32
_cache: OrderedDict[tuple[object, ...], list[BoardPublic]] = OrderedDict()
_cache_lock = threading.Lock()


def _counted(subs: list[Submission], rule: str, primary: str, higher_is_better: bool) -> list[Submission]:
    """Per team, the submission that counts under ``rule``; baselines all count."""
    chosen: dict[int, Submission] = {}
    for sub in sorted(subs, key=lambda s: s.id):
        if sub.team_id is None:
            continue
        current = chosen.get(sub.team_id)
        value = (sub.scores or {}).get(primary)
        if current is None or rule == "last":
            chosen[sub.team_id] = sub
            continue
        best = (current.scores or {}).get(primary)
        if value is not None and (best is None or (value > best if higher_is_better else value < best)):
            chosen[sub.team_id] = sub
    return [s for s in subs if s.is_baseline] + sorted(chosen.values(), key=lambda s: s.id)


def _boards(challenge: Challenge, phase: Phase, subs: list[Submission], names: dict[int, str]) -> list[BoardPublic]:
    truth = load_truth(challenge)
    mask = subset_mask(challenge, truth.ids, phase.subset)
    part = TruthTable(truth.task, truth.ids[mask], truth.y[mask], truth.classes)
    primary = get_metric(challenge.primary_metric)
    counted = _counted(subs, phase.rule, primary.name, primary.higher_is_better)
    predictions = {s.id: unpack(s.aligned) for s in subs if s.aligned is not None}
    boards = []
    for name in [challenge.primary_metric, *challenge.secondary_metrics]:
        metric = get_metric(name)
        candidates = []
        for sub in counted:
            full = predictions[sub.id]
            values = metric_input(metric, truth, full)[mask]
            label = sub.label or f"#{sub.id}"
            shown = f"{label}" if sub.is_baseline else f"{names.get(sub.team_id or 0, '?')} — {label}"
            candidates.append(Candidate(str(sub.id), shown, sub.is_baseline, values))
        population = np.array(
            [np.nan if (v := (s.scores or {}).get(name)) is None else v for s in subs], dtype=np.float64
        )
        rows, reference = build_board(
            metric,
            part.y,
            candidates,
            population,
            stratified=challenge.task in CLASSIFICATION,
            seed=phase.id,
            context=board_context(challenge, phase),
        )
        boards.append(
            BoardPublic(
                metric=name,
                title=metric.title,
                higher_is_better=metric.higher_is_better,
                primary=name == challenge.primary_metric,
                qi_reference=reference,
                rows=[
                    BoardRowPublic(
                        submission_id=int(r.key),
                        **{
                            k: getattr(r, k)
                            for k in (
                                "rank",
                                "name",
                                "is_baseline",
                                "value",
                                "ci_low",
                                "ci_high",
                                "rank_low",
                                "rank_high",
                                "stability",
                                "tied",
                                "qi",
                            )
                        },
                    )
                    for r in rows
                ],
            )
        )
    return boards


def leaderboard(slug: str, who: Principal, phase_name: str | None = None) -> LeaderboardPublic:
    """All boards of a phase; a private phase shows rows only once revealed (organisers see them always)."""
    with session_scope() as session:
        challenge = get_challenge_row(session, slug)
        phase = phase_named(session, challenge, phase_name)
        active = session.scalars(
            select(Submission).where(Submission.phase_id == phase.id, Submission.status.in_(ACTIVE))
        ).all()
        for sub in active:
            reconcile(session, sub)
        session.flush()
        subs = list(
            session.scalars(select(Submission).where(Submission.phase_id == phase.id, Submission.status == "scored"))
        )
        revealed = phase_is_revealed(phase)
        visible = revealed or is_organiser(who)
        note = "" if revealed else "private leaderboard: revealed when the phase ends"
        if not revealed and visible:
            note = "private leaderboard, not yet revealed to participants (organiser view)"
        boards: list[BoardPublic] = []
        if visible and subs:
            key = (phase.id, challenge.truth_sha256, tuple((s.id, str(s.scored_at)) for s in subs))
            with _cache_lock:
                cached = _cache.get(key)
            if cached is None:
                names = {t.id: t.name for t in session.scalars(select(Team).where(Team.challenge_id == challenge.id))}
                cached = _boards(challenge, phase, subs, names)
                with _cache_lock:
                    _cache[key] = cached
                    while len(_cache) > _CACHE_SIZE:
                        _cache.popitem(last=False)
            boards = cached
        audit.record(session, who.username, "read", "challenge_leaderboard", f"{slug}/{phase.name}", ip=who.ip)
        n_rows = int(subset_mask(challenge, load_truth(challenge).ids, phase.subset).sum())
        return LeaderboardPublic(
            challenge=slug,
            phase=phase.name,
            subset=phase.subset,
            visible=visible,
            note=note,
            n_rows_scored=n_rows,
            boards=boards,
        )
