"""Mutated config files (targets, ROI assumptions, sources) load or fail with their own error.

Each example takes a committed file and damages it the way hands and editors do: a line
deleted or doubled, a value swapped for random text, the file cut short, random characters
inserted. Loading must then succeed or raise the file's own error with a message, never
another exception. Derandomised, so CI runs the same cases every time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.core.config import load_config
from connectors.core.errors import ConfigError
from metrics.core.targets import TargetsError, load_targets
from metrics.reports.roi import RoiError, load_assumptions

CONFIG = Path(__file__).resolve().parent.parent / "config"
FILES: dict[str, tuple[Path, Callable[[Path], Any], type[Exception]]] = {
    "targets": (CONFIG / "targets.toml", load_targets, TargetsError),
    "roi": (CONFIG / "roi.toml", load_assumptions, RoiError),
    "sources": (CONFIG / "sources.example.toml", load_config, ConfigError),
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

mutations = st.lists(
    st.tuples(
        st.sampled_from(["delete", "double", "value", "cut", "insert"]),
        st.integers(0, 10_000),
        st.text(min_size=1, max_size=12),
    ),
    min_size=1,
    max_size=4,
)


def mutate(text: str, steps: list[tuple[str, int, str]]) -> str:
    lines = text.splitlines()
    for kind, where, junk in steps:
        if not lines:
            break
        index = where % len(lines)
        if kind == "delete":
            del lines[index]
        elif kind == "double":
            lines.insert(index, lines[index])
        elif kind == "value" and "=" in lines[index]:
            key = lines[index].split("=", 1)[0]
            lines[index] = f"{key}= {junk!r}" if where % 2 else f"{key}= {junk}"
        elif kind == "cut":
            lines = lines[: index + 1]
            lines[-1] = lines[-1][: where % (len(lines[-1]) + 1)]
        else:
            line = lines[index]
            cut = where % (len(line) + 1)
            lines[index] = line[:cut] + junk + line[cut:]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", list(FILES))
@FUZZ
@given(steps=mutations)
def test_damaged_config_files_fail_with_their_own_error(
    name: str, steps: list[tuple[str, int, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    source, load, error = FILES[name]
    path = tmp_path_factory.mktemp("cfg") / source.name
    path.write_text(mutate(source.read_text(encoding="utf-8"), steps), encoding="utf-8")
    try:
        load(path)
    except error as exc:  # any other exception fails the test
        assert str(exc).strip(), "the error must say what to fix"
