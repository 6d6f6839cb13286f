"""German texts for values and for the reasons a value is missing or withheld (maps, profiles, reports)."""

from __future__ import annotations

from indicators.observation_flags import OBSERVATION_FLAGS
from indicators.notation import format_number

SUPPRESSED = ("gesperrt (statistische Geheimhaltung)", "withheld (statistical confidentiality)")
COUNT_UNITS = ("Personen", "Anzahl")


def flag_text(flag: str | None, reason: str | None, lang: str = "de") -> str:
    """Why there is no number: 'nicht bewertet (weniger als 300 Einwohner/innen)'; with lang="en" the flag's
    English name (the reason is data and stays as delivered)."""
    shown = 1 if lang == "en" else 0
    flag = flag if isinstance(flag, str) and flag else None  # a table's missing cell is NaN, not None
    reason = reason if isinstance(reason, str) and reason else None
    if flag == "suppressed":
        label = SUPPRESSED[shown]
    else:
        label = OBSERVATION_FLAGS.get(flag or "missing", (flag or "Wert fehlt", flag or "value missing"))[shown]
    return f"{label} ({reason})" if reason else label


def decimals_for(unit: str | None) -> int:
    if unit and unit.endswith(("je km²", "per km²")):  # densities of counts on maps (web.explorer.density_unit)
        return 1
    return 0 if unit in COUNT_UNITS else 2


def value_text(value: float | None, unit: str | None, lang: str = "de") -> str:
    """'12,34 %', '3.456 Personen' (de) / '12.34 %' (en); '–' for None; the unit is data and stays as delivered."""
    if value is None:
        return "–"
    return f"{format_number(value, decimals_for(unit), lang)} {unit or ''}".strip()
