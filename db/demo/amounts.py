"""Money is held in kobo (integers) while generating, so every sum is exact, and written as text."""


def naira(kobo: int) -> str:
    """Exact NUMERIC(14,2) text, e.g. 1234567 -> '12345.67'."""
    sign = "-" if kobo < 0 else ""
    kobo = abs(kobo)
    return f"{sign}{kobo // 100}.{kobo % 100:02d}"


def round_naira(amount: float, step: int = 50) -> int:
    """A naira amount rounded to `step` naira, in kobo: prices and top-ups are round numbers."""
    return max(step, int(round(amount / step)) * step) * 100
