"""The words of a message: one line per due item, in a digest to the resident or to staff. Kept short for text
messages; the same lines go to Notify as the `items` list (its templates show a list as bullets)."""

from datetime import date

KIND_WORDS = {"laptop": "laptop", "chromebook": "Chromebook", "tablet": "tablet", "smartphone": "phone",
              "mifi": "mobile wifi device", "other": "device"}  # fmt: skip


def _when(value) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def item_line(item) -> str:
    data = item.data or {}
    if item.audience == "staff":
        return data.get("summary", item.kind)
    device = f"{KIND_WORDS.get(data.get('kind'), 'device')} ({data.get('asset_tag', '')})"
    due = _when(data["due_on"]) if data.get("due_on") else ""
    lines = {
        "loan_due_soon": f"The {device} you borrowed is due back on {due}.",
        "loan_due_tomorrow": f"The {device} you borrowed is due back tomorrow, {due}.",
        "loan_due_today": f"The {device} you borrowed is due back today. Please bring it to us.",
        "loan_overdue": f"The {device} you borrowed was due back on {due}. Please bring it back as soon as you can.",
        "loan_overdue_final": f"The {device} you borrowed was due back on {due}. Please bring it back now, or call "
        "us if something has happened to it.",
        "loan_still_using": f"Are you still using the {device} you borrowed? If you no longer need it, please bring "
        "it back so someone else can use it.",
        "loan_renewal": f"Are you still using the {device} you borrowed? Please tell us by {due} to keep it for "
        "longer. If you no longer need it, please bring it back so someone else can use it.",
    }
    line = lines.get(item.template, data.get("summary", ""))
    if data.get("extension_offer"):
        line += " If you need it for longer, ask us to extend the loan."
    return line


def item_lines(message) -> list[str]:
    """The lines of the items still due when it is sent (sources.items_still_due)."""
    from .sources import items_still_due

    return [item_line(item) for item in items_still_due(list(message.items.all().order_by("due_on", "id")))]


def message_body(message, lines: list[str] | None = None) -> str:
    lines = item_lines(message) if lines is None else lines
    organisation = message.organisation.name
    if message.audience == "staff":
        listed = "\n".join(f"- {line}" for line in lines)
        return (
            f"Things that need attention at {organisation}:\n\n{listed}\n\nSee the loans and stock pages for details."
        )
    resident = message.resident
    name = resident.preferred_name or resident.first_name
    if message.channel == "sms":
        return f"Hello {name}. " + " ".join(lines) + f" From {organisation}."
    listed = "\n".join(f"- {line}" for line in lines) if len(lines) > 1 else lines[0] if lines else ""
    return f"Dear {name},\n\n{listed}\n\nThank you,\n{organisation}"


def personalisation(message, lines: list[str], body: str) -> dict:
    """What Notify's templates are given: ((name)), ((items)) (a list), ((organisation)) and ((body))."""
    resident = message.resident
    return {
        "name": (resident.preferred_name or resident.first_name) if resident else "",
        "items": lines,
        "organisation": message.organisation.name,
        "body": body,
    }
