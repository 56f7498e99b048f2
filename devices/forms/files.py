"""Staff web forms for files: the stock import's upload (the flow is inclusion/imports.py)."""

from crispy_forms_gds.helper import FormHelper
from django import forms

from inclusion.forms.base import GOVUKForm

from .. import imports


class DeviceImportForm(GOVUKForm):
    file = forms.FileField(
        label="Upload a file",
        help_text=f"A CSV or Excel (.xlsx) file, smaller than {imports.MAX_BYTES // 2**20} MB, with a heading row",
        error_messages={
            "required": "Select a CSV or Excel file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV or Excel file",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()  # the page writes its own markup; the helper lets the error summary show

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(f"The selected file must be smaller than {imports.MAX_BYTES // 2**20} MB")
        return upload
