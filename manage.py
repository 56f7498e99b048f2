#!/usr/bin/env python
"""Django's command-line utility."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inclusion.settings.dev")
    from django.core.management import execute_from_command_line

    from inclusion.audit import history_command_label

    with history_command_label(sys.argv):  # what a command changes is recorded as that command's
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
