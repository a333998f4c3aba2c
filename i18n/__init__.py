"""One translation layer for every word TechPulse shows: English and Simplified Chinese.

Strings are marked in the code with ``_()`` (translated where they are shown) or ``N_()``
(marked where they are defined, e.g. KPI labels, and translated later with ``_()``). Babel
extracts them into ``i18n/locale/messages.pot``; translations live in gettext catalogs
(``i18n/locale/<lang>/LC_MESSAGES/messages.po``, read with Babel at start-up, no compiled files
in git). The language is per context: a Streamlit session's script thread, or a CLI call
(``i18n.cli``). Numbers, money and dates go through CLDR (``i18n.formats``). Machine-facing
names (CSV columns, metric ids, URL parameters) never pass through here.
"""

from i18n.languages import DEFAULT, LANGUAGES, Language, from_environment, negotiate
from i18n.translate import N_, _, current, translations, use, using

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "N_",
    "Language",
    "_",
    "current",
    "from_environment",
    "negotiate",
    "translations",
    "use",
    "using",
]
