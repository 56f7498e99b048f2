"""Django admin for administrators: read-only views of stock and loans (changes go through the staff web or the
API, so they are recorded), the loan policies; the vouchers' admin is devices/vouchers/admin.py."""

from django.contrib import admin

from inclusion.admin import ReadOnlyAdmin

from .models import Device, DeviceEvent, Loan, LoanPolicy


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ["asset_tag", "kind", "make", "model", "status", "owning_organisation", "location"]
    list_filter = ["status", "kind", "owning_organisation"]
    search_fields = ["asset_tag", "serial_number"]


@admin.register(DeviceEvent)
class DeviceEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "device", "action", "from_status", "to_status", "organisation"]
    list_filter = ["action", "organisation"]


@admin.register(Loan)
class LoanAdmin(ReadOnlyAdmin):
    list_display = ["device", "organisation", "started_on", "due_on", "outcome"]
    list_filter = ["organisation", "outcome"]
    raw_id_fields = ["resident"]


@admin.register(LoanPolicy)
class LoanPolicyAdmin(admin.ModelAdmin):
    list_display = ["organisation", "default_length_days", "extension_days", "max_extensions",
                    "max_open_loans_per_resident", "terms_version"]  # fmt: skip


# The vouchers' admin uses ReadOnlyAdmin, so it is imported once that is defined.
from .vouchers import admin as vouchers_admin  # noqa: E402, F401
