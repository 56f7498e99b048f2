"""Django admin for data vouchers: providers (editable), read-only batches, vouchers (codes masked) and the
record of every import. Registered through devices/admin.py, which Django's admin autodiscovery reads."""

from django.contrib import admin

from devices.admin import ReadOnlyAdmin

from .models import Provider, Voucher, VoucherBatch, VoucherEvent, VoucherImportRecord


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    prepopulated_fields = {"slug": ["name"]}


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


@admin.register(VoucherEvent)
class VoucherEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "voucher", "action", "from_status", "to_status", "organisation"]
    list_filter = ["action", "organisation"]
    raw_id_fields = ["voucher"]
