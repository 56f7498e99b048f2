"""Password rules beyond Django's: a bundled list of passwords too easy to guess here (place names of the
scheme's area, the service's own words) checked offline, on top of Django's list of 20,000 common ones."""

import re
from pathlib import Path

from django.core.exceptions import ValidationError

LIST = Path(__file__).with_name("easily_guessed.txt")


class LocalWordsPasswordValidator:
    """Refuse a password that is one of the bundled words with at most digits and symbols around it
    ("Wolverhampton2025!", "digitalinclusion1"): attackers try these first."""

    def __init__(self, path: Path = LIST):
        self.words = {line.strip().lower() for line in path.read_text().splitlines() if line.strip()}

    def validate(self, password, user=None):
        core = re.sub(r"[^a-z]", "", password.lower())
        if core in self.words:
            raise ValidationError(
                "This password is too easy to guess: it is a local place name or a word from this service with "
                "numbers or symbols added. Use three or more random words instead.",
                code="password_too_common",
            )

    def get_help_text(self):
        return "Your password cannot be a local place name or a word from this service with numbers added."
