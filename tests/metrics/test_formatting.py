"""Card texts: units, hours shown as days or minutes, and large values that still fit a card."""

from __future__ import annotations

from metrics.core.definitions import BY_NAME
from metrics.core.formatting import format_delta, format_value


def test_values_keep_their_units() -> None:
    assert format_value(BY_NAME["availability"], 99.93712) == "99.937 %"
    assert format_value(BY_NAME["p95_latency"], 243.4) == "243 ms"
    assert format_value(BY_NAME["lead_time"], 68.3) == "68.3 h (2.8 days)"  # 68.3 / 24
    assert format_value(BY_NAME["mttr"], 0.5) == "30 min"
    assert format_value(BY_NAME["tech_debt_days"], None) == "no data"


def test_large_values_read_in_thousands() -> None:
    # 74,660.7 days would be cut off on a card at enterprise scale: 74.7k days
    assert format_value(BY_NAME["tech_debt_days"], 74_660.7) == "74.7k days"
    assert format_value(BY_NAME["tech_debt_days"], 9_999.9) == "9,999.9 days"
    assert format_value(BY_NAME["code_smells"], 250_400) == "250.4k"
    # percentages and hours never compact (they cannot reach 10,000 meaningfully or read as days)
    assert format_value(BY_NAME["lead_time"], 12_000) == "12,000.0 h (500.0 days)"


def test_deltas_drop_decimals_from_a_thousand() -> None:
    assert format_delta(BY_NAME["tech_debt_days"], -1_793.94) == "-1,794 days"
    assert format_delta(BY_NAME["tech_debt_days"], -6.94) == "-6.9 days"
    assert format_delta(BY_NAME["availability"], -0.0081) == "-0.008 pp"
    assert format_delta(BY_NAME["incident_count"], 9) == "+9"
