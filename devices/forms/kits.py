"""Staff web forms for kits: a kit template (coordinators) and lending a kit (one device of each kind, scanned,
under one agreement). They check the shape of what was typed; the rules are devices.services.kit_create's and
kit_loan_create's."""

import re

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from inclusion.forms.base import GOVUKForm

from ..models import KIT_VOUCHER_KINDS, AgreementMethod, DeviceKind, Kit, LoanAgreement
from .stock import ACCESSORY_CHOICES, TAG_INPUT


class KitForm(GOVUKForm):
    name = forms.CharField(label="Kit name", help_text="For example, Chromebook starter kit", max_length=100,
                           error_messages={"required": "Enter the kit's name"})  # fmt: skip
    kinds = forms.MultipleChoiceField(
        label="Devices in the kit, one of each", choices=DeviceKind.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the devices in the kit", "invalid_choice": "Choose devices from the list"},
    )  # fmt: skip
    accessories = forms.MultipleChoiceField(
        label="Accessories that go with it (optional)", choices=ACCESSORY_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple, error_messages={"invalid_choice": "Choose accessories from the list"},
    )  # fmt: skip
    voucher_kind = forms.ChoiceField(
        label="A SIM or data voucher issued with it?", required=False, widget=forms.RadioSelect, initial="",
        choices=[("", "None"), *[(kind.value, kind.label) for kind in KIT_VOUCHER_KINDS]],
        help_text="Issued from your voucher stock when the kit is lent, under the batch's rules (one per resident "
                  "every six months by default), and listed on the receipt.",
        error_messages={"invalid_choice": "Choose a SIM card, a data voucher code or a Wi-Fi voucher, or none"},
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.layout = Layout(
            Field.text("name", field_width=20),
            Field.checkboxes("kinds", legend_size=Size.SMALL, small=True),
            Field.checkboxes("accessories", legend_size=Size.SMALL, small=True),
            Field.radios("voucher_kind", legend_size=Size.SMALL, small=True),
            Submit("submit", "Add the kit"),
        )


class KitLendForm(GOVUKForm):
    kit = forms.ModelChoiceField(
        label="Which kit?", queryset=Kit.objects.none(), widget=forms.RadioSelect, empty_label=None,
        error_messages={"required": "Choose the kit", "invalid_choice": "Choose one of your kits"},
    )  # fmt: skip
    tags = forms.CharField(
        label="Scan or type the tag of each device in the kit",
        help_text="One a line: a scanner adds a line each time",
        max_length=2000,
        widget=forms.Textarea(attrs={**TAG_INPUT, "rows": 4, "data-scanner": "tags"}),
        error_messages={"required": "Scan or type the tag of each device in the kit"},
    )
    agreement_method = forms.ChoiceField(
        label="How did they accept the loan agreement?", choices=AgreementMethod.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose how they accepted the loan agreement",
                        "invalid_choice": "Choose how they accepted the loan agreement"},
    )  # fmt: skip
    witness_name = forms.CharField(label="Witness's full name, for a verbal agreement", max_length=150,
                                   required=False)  # fmt: skip
    accepted_name = forms.CharField(label="Accepted on screen: their full name, typed by them", max_length=150,
                                    required=False)  # fmt: skip
    agreement_accepted = forms.BooleanField(
        error_messages={"required": "Confirm that they have accepted the loan agreement"},
    )
    # Shown only when one of the kits has a voucher line: unticked, the kit is lent without it.
    issue_voucher = forms.BooleanField(label="Issue the kit's SIM or data voucher with it", required=False,
                                       initial=True,
                                       help_text="Untick to lend the devices without it (they may have had one "
                                                 "recently, or already have data).")  # fmt: skip

    def __init__(self, *args, kits, agreement: LoanAgreement | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kit"].queryset = kits
        self.fields["kit"].label_from_instance = lambda kit: f"{kit.name}: {', '.join(kit.item_labels)}"
        with_vouchers = kits.exclude(voucher_kind="").exists()
        if not with_vouchers:
            del self.fields["issue_voucher"]
        version = f"version {agreement.version}" if agreement else "the current terms"
        self.fields["agreement_accepted"].label = f"They have accepted the loan agreement ({version}) for every item"
        self.helper = FormHelper()
        self.helper.label_size = Size.SMALL
        self.helper.legend_size = Size.SMALL
        self.helper.attrs = {"autocomplete": "off", "novalidate": ""}
        self.helper.layout = Layout(
            Field.radios("kit", legend_size=Size.MEDIUM),
            Field.textarea("tags", rows=4),
            Field.radios("agreement_method"),
            Field.text("witness_name", field_width=20),
            *([Field.text("accepted_name", field_width=20)] if agreement else []),
            Field.checkbox("agreement_accepted"),
            *([Field.checkbox("issue_voucher")] if with_vouchers else []),
            Submit("submit", "Lend the kit"),
        )

    def clean_tags(self):
        tags = [tag.strip() for tag in re.split(r"[\r\n,;\t]+", self.cleaned_data["tags"]) if tag.strip()]
        if not tags:
            raise forms.ValidationError("Scan or type the tag of each device in the kit")
        if len(tags) > 10:
            raise forms.ValidationError("A kit has at most 10 devices")
        return tags
