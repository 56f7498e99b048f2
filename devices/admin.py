"""Django admin for administrators: providers (editable), and read-only views of stock, loans and
vouchers (changes go through the staff web or the API, so they are recorded). Codes are masked."""

from django.contrib import admin

from .models import Device, DeviceEvent, Loan, LoanPolicy, Provider, Voucher, VoucherBatch, VoucherImportRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    prepopulated_fields = {"slug": ["name"]}


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


@admin.register(VoucherBatch)
class VoucherBatchAdmin(ReadOnlyAdmin):
    list_display = ["provider", "kind", "organisation", "expires_on", "received_on", "reference"]
    list_filter = ["provider", "kind", "organisation"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ["masked", "provider", "status", "issued_at"]
    list_filter = ["status", "provider"]
    fields = ["batch", "provider", "masked", "status", "issued_at", "activated_at", "failed_at", "withdrawn_at"]
    readonly_fields = fields


@admin.register(VoucherImportRecord)
class VoucherImportRecordAdmin(ReadOnlyAdmin):
    """Every import and dry run; those that met codes another organisation holds are the ones to look at."""

    list_display = ["created_at", "organisation", "user", "api_key", "provider", "dry_run", "rows", "problems",
                    "held_elsewhere"]  # fmt: skip
    list_filter = ["organisation", "dry_run", "provider"]
