"""Which relation a read of observations goes through (views created by the migrations)."""


def observation_source(unsuppressed: bool) -> str:
    """The relation every read goes through: `observation_public` applies publishing and statistical
    confidentiality (suppressed values are NULL with flag 'suppressed'); `observation_current` is for
    authenticated editors and stewards. Both hold current (not superseded) rows only."""
    return "observation_current" if unsuppressed else "observation_public"
