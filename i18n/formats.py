"""Numbers, money, percentages and dates in the current language, through CLDR (Babel).

Chinese readers count large figures in 万 (10⁴) and 亿 (10⁸): ``compact(123_456_789)`` reads
``1.23亿`` in zh-CN and ``123.46M`` in English. Tables that must sort keep ISO dates;
a line of text uses ``short_date`` (2026年12月6日 / 06 Dec 2026).
"""

from __future__ import annotations

import datetime as dt

from babel import dates, numbers

from i18n.languages import babel_locale
from i18n.translate import current


def _locale() -> str:
    return babel_locale(current())


def number(value: float, decimals: int = 0) -> str:
    """Grouped digits with a fixed number of decimals: 1,234.5."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return numbers.format_decimal(value, format=pattern, locale=_locale())


def compact(value: float, decimals: int = 1) -> str:
    """A large figure in the reader's units: 1.2M / 1.2K in English, 1.23亿 / 1.2万 in Chinese."""
    return numbers.format_compact_decimal(value, fraction_digits=decimals, locale=_locale())


def money(value: float, currency: str, *, compact_form: bool = True, decimals: int = 1) -> str:
    """Money in ``currency`` (ISO 4217, e.g. CNY, USD, EUR); compact for cards and prose."""
    if compact_form and abs(value) >= 10_000:
        return numbers.format_compact_currency(
            value, currency, fraction_digits=decimals, locale=_locale()
        )
    return numbers.format_currency(value, currency, format_type="standard", locale=_locale())


SHORT_DATE = {"en": "dd MMM y", "zh-CN": "y年M月d日"}  # 01 Sep 2026 · 2026年9月1日


def short_date(day: dt.date) -> str:
    """A date in a line of text: 01 Sep 2026 / 2026年9月1日."""
    return dates.format_date(day, format=SHORT_DATE[current()], locale=_locale())
