#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")
    import pghistory
    from django.core.management import execute_from_command_line

    # What a command changes is recorded in the field history as that command's (inclusion/audit.py).
    with pghistory.context(command=sys.argv[1] if len(sys.argv) > 1 else "help"):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
