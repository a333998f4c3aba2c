"""What a sync reports: one :class:`SourceResult` per source run and the :class:`SyncSummary`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceResult:
    source: str
    type: str
    status: str = "running"  # success or failed once finished
    rows: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    run_id: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def rows_written(self) -> int:
        return sum(self.rows.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "type": self.type,
            "status": self.status,
            "rows": dict(self.rows),
            "rows_written": self.rows_written,
            "requests": self.requests,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "warnings": list(self.warnings),
            "run_id": self.run_id,
        }


@dataclass
class SyncSummary:
    results: list[SourceResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def rows_by_table(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for result in self.results:
            for table, count in result.rows.items():
                totals[table] = totals.get(table, 0) + count
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "rows": self.rows_by_table(),
            "sources": [r.as_dict() for r in self.results],
        }
