"""The loan history a library keeps, held against its reading profile's window: the profile
counts the loans of its window and is carried on by difference (profiles/refresh.py), so a
loan removed while inside the window would change a stored profile or a later refresh."""

from patronflow.profiles.models import DEFAULT_WINDOW_MONTHS, ClassificationPolicy


def loan_history_problem(library_id: int | None, loan_history_months: int | None) -> str | None:
    """Why a library's loan history may not be this short, or None."""
    if library_id is None or loan_history_months is None:
        return None
    stored = ClassificationPolicy.objects.filter(library_id=library_id).values_list(
        "window_months", flat=True
    )
    window = stored.first() or DEFAULT_WINDOW_MONTHS
    if loan_history_months < window:
        return (
            f"The loan history must cover the reading profile's window of {window} months: "
            f"{loan_history_months} months is shorter."
        )
    return None
