"""PDCA action items: the only rows the app itself writes, through the snapshot writer.

Actions belong to teams, never to people. An open action is carried into every later quarter
until it is closed.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

from data.warehouse import write_snapshot

STAGES = ("plan", "do", "check", "act")


class ActionError(ValueError):
    """An action that cannot be saved; the message says which field to fix."""


def _check(title: str, stage: str) -> None:
    if not title.strip():
        raise ActionError("an action needs a title")
    if len(title) > 300:
        raise ActionError("the title is longer than 300 characters; shorten it")
    if stage not in STAGES:
        raise ActionError(f"stage must be one of {', '.join(STAGES)}")


def add_action(
    db: str | os.PathLike[str] | None,
    *,
    quarter: str,
    title: str,
    kpi: str | None,
    owner_team: str | None,
    stage: str = "plan",
    due_on: dt.date | None = None,
    note: str = "",
) -> str:
    """Insert an open action raised in ``quarter``; returns its id."""
    _check(title, stage)
    action_id = f"act-{uuid.uuid4().hex[:10]}"
    with write_snapshot(db) as con:
        con.execute(
            "INSERT INTO actions (action_id, quarter, title, kpi, owner_team, pdca_stage, status,"
            " due_on, created_at, note) VALUES ($id, $q, $t, $k, $o, $s, 'open', $d, now(), $n)",
            {
                "id": action_id,
                "q": quarter,
                "t": title.strip(),
                "k": kpi,
                "o": owner_team,
                "s": stage,
                "d": due_on,
                "n": note,
            },
        )
    return action_id


def update_action(
    db: str | os.PathLike[str] | None,
    action_id: str,
    *,
    stage: str,
    note: str,
    closed: bool,
) -> None:
    """Move an action through PDCA, edit its note, close or reopen it."""
    _check("x", stage)
    with write_snapshot(db) as con:
        found = con.execute(
            "SELECT count(*) FROM actions WHERE action_id = $id", {"id": action_id}
        ).fetchall()
        if not found or found[0][0] == 0:
            raise ActionError(f"no action {action_id!r}")
        con.execute(
            "UPDATE actions SET pdca_stage = $s, note = $n,"
            " status = CASE WHEN $c THEN 'closed' ELSE 'open' END,"
            " closed_at = CASE WHEN $c THEN coalesce(closed_at, now()) ELSE NULL END"
            " WHERE action_id = $id",
            {"s": stage, "n": note, "c": closed, "id": action_id},
        )
