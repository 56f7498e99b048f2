"""Record a chase on an overdue loan (the rule is devices/chases.py's)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from inclusion.access import Capability
from inclusion.errors import DomainError
from inclusion.forms.base import DateField, GOVUKForm
from inclusion.web import actor_for, form_refuse, posted, staff_view

from ..chases import ChaseOutcome, loan_chase_record
from .loaders import load_loan


class ChaseForm(GOVUKForm):
    outcome = forms.ChoiceField(label="What happened?", choices=ChaseOutcome.choices, widget=forms.RadioSelect,
                                error_messages={"required": "Choose what happened"})  # fmt: skip
    promised_on = DateField(noun="Promised date", when="future", required=False,
                            label="If they promised, by when?", help_text="For example, 27 3 2027")  # fmt: skip
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        from crispy_forms_gds.helper import FormHelper
        from crispy_forms_gds.layout import Field, Layout, Size, Submit

        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("outcome", legend_size=Size.MEDIUM, small=True),
            Field("promised_on"),
            Field.textarea("note"),
            Submit("submit", "Record the chase"),
        )


@staff_view(Capability.LEND, load=load_loan)
def loan_chase(request, loan):
    form = ChaseForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            loan_chase_record(actor=actor_for(request), loan=loan, **form.cleaned_data)
        except DomainError as error:
            form_refuse(form, error)
        else:
            messages.success(request, f"Chase recorded on {loan.resident.display_name}'s timeline.")
            return redirect(f"{request.build_absolute_uri('/devices/loans/')}#overdue")
    return render(request, "devices/loan_chase.html", {"form": form, "loan": loan, "device": loan.device})
