"""Staff web forms for files: the stock import's upload (the flow is inclusion/imports.py)."""

from inclusion.imports import ImportFileForm

from .. import imports


class DeviceImportForm(ImportFileForm):
    max_bytes = imports.MAX_BYTES
