"""The account forms: a two-factor code, and the password reset pages in the GOV.UK form style."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm

from ..forms.base import GOVUKForm, GOVUKFormMixin


class CodeForm(GOVUKForm):
    code = forms.CharField(
        label="Security code",
        max_length=20,
        error_messages={"required": "Enter the security code"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def __init__(self, *args, label: str = "Security code", help_text: str = "", button: str = "Continue", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = label
        self.fields["code"].help_text = help_text
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's own <form> (it carries "next")
        self.helper.layout = Layout(Field.text("code", field_width=10, label_size=Size.SMALL), Submit("submit", button))


class ResetRequestForm(GOVUKFormMixin, PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].error_messages["required"] = "Enter your email address"
        self.fields["email"].error_messages["invalid"] = "Enter an email address like name@example.org"
        self.helper = FormHelper()
        self.helper.layout = Layout(Field.text("email"), Submit("submit", "Send the link"))


class NewPasswordForm(GOVUKFormMixin, SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = "At least 12 characters. Three or more random words work well."
        self.fields["new_password2"].label = "Type it again"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Type the new password again"
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.text("new_password1"), Field.text("new_password2"), Submit("submit", "Change password")
        )
