"""The pages' fixed texts in English: German is the source language (the msgid is the German text as the
template shows it), English comes from a gettext catalogue, `web/locale/en/LC_MESSAGES/messages.po`, read with
Babel (the same file translators edit with Poedit or Weblate; `pybabel extract -F babel.cfg` collects the
texts of the templates). A text without a translation is shown in German, never as an empty string.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@lru_cache
def _catalogue(lang: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with open(path, "rb") as handle:
        catalogue = read_po(handle, locale=lang)
    return {message.id: message.string for message in catalogue if message.id and message.string
            and not message.fuzzy}


def translator(lang: str) -> Callable[[str], str]:
    """`_` of a page: German text -> text in `lang` (German itself, or the German where no translation exists)."""
    if lang == "de":
        return lambda text: text
    catalogue = _catalogue(lang)
    return lambda text: catalogue.get(text, text)


def N_(text: str) -> str:
    """Marks a German text kept in Python for the catalogue (`pybabel extract` finds it); it is translated where
    it is shown, with the page's `_`."""
    return text


def localised_name(item: Mapping, lang: str) -> str:
    """A data item's name (an indicator, topic or index of the catalogue) in `lang`: its `name_en` on an English
    page where the data has one, else its `name_de` as delivered."""
    return (item.get("name_en") if lang == "en" else None) or item["name_de"]
