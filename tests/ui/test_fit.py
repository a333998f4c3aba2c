"""Table column widths that fit the page (ui/components/fit.py); figures by hand from the
7.2 px Latin / 14 px CJK glyph estimate plus 18 px padding."""

from __future__ import annotations

from ui.components.fit import fit_widths, text_width


def test_chinese_characters_count_twice_as_wide() -> None:
    assert text_width("ab") == 14.4
    assert text_width("达标") == 28.0


def test_a_table_that_fits_keeps_its_content_widths() -> None:
    # "payments": 8 × 7.2 + 18 = 75.6 → 75; header "团队" 28 + 18 = 46 is narrower
    widths = fit_widths({"owner": ["payments", "—"]}, {"owner": "团队"}, 500, {"trend": 60})
    assert widths == {"owner": 75, "trend": 60}


def test_the_widest_columns_give_way_first() -> None:
    # wanted: a = 40 × 7.2 + 18 = 306, b = 10 × 7.2 + 18 = 90, c = 30 × 7.2 + 18 = 234;
    # 400 px: b keeps 90, a and c share the rest at one cap of (400 − 90) / 2 = 155
    widths = fit_widths({"a": ["x" * 40], "b": ["y" * 10], "c": ["z" * 30]}, {}, 400)
    assert widths["b"] == 90
    assert widths["a"] == widths["c"] and 154 <= widths["a"] <= 155
    assert sum(widths.values()) <= 400
