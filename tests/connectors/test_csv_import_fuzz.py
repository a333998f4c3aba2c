"""Seeded random damage to valid CSV files: every case imports or is refused cleanly.

200 cases, each a valid deployments or incidents file (quoted titles with commas, doubled
quotes and line breaks included). About 30 % get only benign changes (columns reordered or
renamed in another case, an optional column dropped, CRLF with a byte order mark, every field
quoted, trailing blank lines) and must import. The others get one or two kinds of damage:
truncation, flipped bytes,
a dropped, duplicated or renamed column, a shuffled header, huge fields, invalid dates, stray
quotes, mixed line ends and blank lines, another encoding or delimiter, repeated rows. Through
the real command line (in process), each case must

* exit 0 (then, for every other such case, importing the same file again writes nothing), or
* exit 2 with one line per error — "error: …", at most 20 error lines and "and N more", no
  traceback, every line number inside the file — and leave the published warehouse file
  byte-for-byte as it was (same inode, same digest: sync_runs included);

and where the damage is an invalid date in a known row, that row's first physical line must be
named.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from connectors.__main__ import main
from data.warehouse import write_snapshot
from tests.servers.warehouse import contents

CASES = 200
SERVICES = ("checkout-api", "search")
DEPLOY = [
    "external_id",
    "service_id",
    "environment",
    "started_at",
    "finished_at",
    "status",
    "commit_sha",
    "url",
    "change_type",
]
INCIDENT = [
    "external_id",
    "service_id",
    "severity",
    "title",
    "started_at",
    "acknowledged_at",
    "resolved_at",
    "deployment_ref",
]
TITLES = ["Checkout down", 'Search "slow", again', "Login\nerrors after deploy", "Pay, then fail"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "w.duckdb"
    with write_snapshot(path, fresh=True) as con:
        con.execute("INSERT INTO teams (team_id, name, cost_centre) VALUES ('t', 't', NULL)")
        for service in SERVICES:
            con.execute(
                "INSERT INTO services (service_id, team_id, name) VALUES ($s, 't', $s)",
                {"s": service},
            )
    return path


def base_rows(kind: str, rng: random.Random) -> tuple[list[str], list[list[str]]]:
    rows: list[list[str]] = []
    for i in range(rng.randint(3, 12)):
        day, hour = 1 + i % 27, rng.randint(0, 20)
        start = f"2026-01-{day:02d}T{hour:02d}:00:00Z"
        end = f"2026-01-{day:02d}T{hour + 1:02d}:{rng.randint(0, 59):02d}:00+00:00"
        service = rng.choice(SERVICES)
        if kind == "deployments":
            status = rng.choice(["success", "failed", "ok", "Canceled"])
            sha = "".join(rng.choice("0123456789abcdef") for _ in range(40))
            rows.append([f"d-{i}", service, "production", start, end, status, sha, "", "planned"])
        else:
            severity, title = rng.choice(["P1", "SEV2", "high"]), rng.choice(TITLES)
            ref = rng.choice(["", "d-1"])
            rows.append([f"i-{i}", service, severity, title, start, "", end, ref])
    return list(DEPLOY if kind == "deployments" else INCIDENT), rows  # a copy: damage edits it


def render(
    header: list[str], rows: list[list[str]], newline: str = "\n", quote_all: bool = False
) -> tuple[str, list[int]]:
    """The file's text and the physical line each data row starts on."""
    out, lines, line = [], [], 1
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    for record in [header, *rows]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline, quoting=quoting).writerow(record)
        text = buffer.getvalue()
        out.append(text)
        if record is not header:
            lines.append(line)
        line += text.count("\n")
    return "".join(out), lines


Damage = Callable[[random.Random, list[str], list[list[str]]], tuple[bytes | None, int | None]]


def _truncate(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    data = render(h, r)[0].encode()
    return data[: rng.randint(0, len(data))], None


def _flip(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    data = bytearray(render(h, r)[0].encode())
    for _ in range(rng.randint(1, 5)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data), None


def _drop_column(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    i = rng.randrange(len(h))
    del h[i]
    for row in r:
        del row[i]
    return None, None


def _duplicate_column(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    i = rng.randrange(len(h))
    h.append(h[i] if rng.random() < 0.5 else h[i].upper() + "x")
    for row in r:
        row.append(row[i])
    return None, None


def _shuffle_header(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    rng.shuffle(h)
    return None, None


def _huge_field(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    row, i = rng.choice(r), rng.randrange(len(h))
    row[i] = rng.choice(["x", "é", "\n", ","]) * rng.choice([250, 3000, 3_000_000])
    return None, None


def _bad_date(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, int]:
    k = rng.randrange(len(r))
    column = h.index("started_at")
    r[k][column] = rng.choice(
        ["2026-13-01T00:00:00Z", "2026-02-30T10:00:00Z", "yesterday", "2026-01-05 10:00", "0"]
    )
    return None, k


def _stray_quotes(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    text = render(h, r)[0]
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text))
        text = text[:at] + '"' + text[at:]
    return text.encode(), None


def _line_ends(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    text = render(h, r, newline=rng.choice(["\n", "\r\n"]))[0]
    pieces = text.split("\n")
    out = []
    for piece in pieces:
        out.append(piece + rng.choice(["\n", "\r\n", "\n\n", "\r\n\r\n", "\r"]))
    return "".join(out)[: len(text) + rng.randint(0, 20)].encode(), None


def _encoding(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    r[0][1] = r[0][1] + "é"
    text = render(h, r)[0]
    codec = rng.choice(["utf-16", "utf-16-le", "latin-1", "cp1252", "utf-8-sig", "utf-32"])
    return text.encode(codec), None


def _delimiter(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=rng.choice([";", "\t", "|"]), lineterminator="\n")
    writer.writerows([h, *r])
    return buffer.getvalue().encode(), None


def _repeat_rows(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    r.extend(list(row) for row in rng.sample(r, k=min(len(r), rng.randint(1, 3))))
    return None, None


def _no_header(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    return render(r[0], r[1:])[0].encode(), None


def _reorder(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    order = list(range(len(h)))
    rng.shuffle(order)
    h[:] = [h[i] for i in order]
    for row in r:
        row[:] = [row[i] for i in order]
    return None, None


def _header_case(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    h[:] = [f" {name.upper()} " if rng.random() < 0.5 else name.title() for name in h]
    return None, None


def _drop_optional(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[None, None]:
    optional = [i for i, name in enumerate(h) if name in OPTIONAL]
    i = rng.choice(optional)
    del h[i]
    for row in r:
        del row[i]
    return None, None


def _windows(rng: random.Random, h: list[str], r: list[list[str]]) -> tuple[bytes, None]:
    text = render(h, r, newline="\r\n", quote_all=rng.random() < 0.5)[0]
    return b"\xef\xbb\xbf" + text.encode() + b"\r\n" * rng.randint(0, 3), None


# Changes a valid file must survive: it still imports.
BENIGN: list[Damage] = [_reorder, _header_case, _drop_optional, _windows]
OPTIONAL = {"finished_at", "commit_sha", "url", "change_type", "title", "acknowledged_at"}

DAMAGE: list[Damage] = [
    _truncate,
    _flip,
    _drop_column,
    _duplicate_column,
    _shuffle_header,
    _huge_field,
    _bad_date,
    _stray_quotes,
    _line_ends,
    _encoding,
    _delimiter,
    _repeat_rows,
    _no_header,
]


def make_case(seed: int) -> tuple[str, bytes, int | None, bool]:
    """(kind, file bytes, physical line of a row given an invalid date or None, whether the
    changes were all benign so the file must import)."""
    rng = random.Random(seed)
    kind = rng.choice(["deployments", "incidents"])
    header, rows = base_rows(kind, rng)
    data: bytes | None = None
    marked: int | None = None
    benign = rng.random() < 0.3
    if benign:
        recipe = rng.sample(BENIGN, k=rng.choice([1, 2]))
    else:
        recipe = rng.sample(DAMAGE, k=rng.choice([1, 1, 2]))
    for damage in recipe:
        if data is not None:
            break  # byte-level damage ends the recipe
        data, row = damage(rng, header, rows)
        if row is not None and recipe == [_bad_date]:
            marked = row  # with other damage the row's error could be a different one
    if data is None:
        text, lines = render(header, rows)
        data = text.encode()
        marked_line = lines[marked] if marked is not None else None
    else:
        marked_line = None  # the bytes were damaged after the row was chosen
    return kind, data, marked_line, benign


def fingerprint(db: Path) -> tuple[int, int, str]:
    """The published file's identity and digest: equal means byte-for-byte unchanged."""
    stat = db.stat()
    return stat.st_ino, stat.st_mtime_ns, hashlib.sha256(db.read_bytes()).hexdigest()


def test_every_damaged_file_imports_or_is_refused_cleanly(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = {0: 0, 2: 0}
    for seed in range(CASES):
        kind, data, marked_line, benign = make_case(seed)
        path = tmp_path / f"case-{seed}.csv"
        path.write_bytes(data)
        before = fingerprint(db)
        code = main(["import", kind, str(path), "--db", str(db)])
        out, err = capsys.readouterr()
        assert code in (0, 2), (seed, code, out, err)
        assert code == 0 or not benign, (seed, "a valid file was refused", err)
        assert "Traceback" not in out + err, seed
        outcomes[code] += 1
        if code == 2:
            lines = err.splitlines()
            assert lines[0].startswith(f"error: {path} was not imported ("), (seed, err)
            assert 2 <= len(lines) <= 22, (seed, err)
            physical = data.count(b"\n") + 1
            for line in lines[1:]:
                assert line.strip() == line and line, (seed, line)
                if line.startswith("line "):
                    number = int(line.split(":")[0].removeprefix("line "))
                    assert 1 <= number <= physical, (seed, line)
            if len(lines) == 22:
                assert lines[-1].startswith("and ") and lines[-1].endswith(" more"), seed
            if marked_line is not None:
                assert any(f"line {marked_line}: started_at" in x for x in lines), (seed, err)
            assert fingerprint(db) == before, f"case {seed} changed the warehouse"
        else:
            assert marked_line is None, (seed, out)
            if outcomes[0] % 2:
                continue  # every other import is repeated: it must write nothing
            assert main(["import", kind, str(path), "--db", str(db), "--format", "json"]) == 0
            again = json.loads(capsys.readouterr().out)
            assert (again["new"], again["changed"]) == (0, 0), (seed, again)
    assert contents(db)["deployments"], "the imported cases are in the warehouse"
    # both paths must really be exercised (about 30 % of the cases are benign)
    assert outcomes[0] >= 40 and outcomes[2] >= 100, outcomes
