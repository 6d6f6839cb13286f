"""The flags an observation may carry instead of (or beside) a value, with their German and English labels.

The codes follow the symbols of official statistics (e.g. "-" nothing, "." unknown or confidential, "/" not
reliable enough); `suppressed` is not among them: it is set by disclosure control, never imported.
"""

OBSERVATION_FLAGS = {
    "missing": ("Wert fehlt", "value missing"),
    "not_assessed": ("nicht bewertet", "not assessed"),
    "nil": ("nichts vorhanden (genau null)", "nil (exactly zero)"),
    "unknown_or_secret": ("Zahlenwert unbekannt oder geheim zu halten", "unknown or confidential"),
    "not_applicable": ("Aussage nicht sinnvoll", "not applicable"),
    "unreliable": ("Zahlenwert nicht sicher genug", "not reliable enough"),
    "later": ("Angabe fällt später an", "available later"),
}
