"""The access log in the Django admin: read only (the table refuses changes anyway)."""

from django.contrib import admin

from .models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_label", "organisation", "action", "resident_id", "channel", "ip_address"]
    list_filter = ["action", "channel", "organisation"]
    search_fields = ["actor_label", "=user__email"]  # a resident: the staff page (privacy/access-log/all/)
    date_hierarchy = "at"
    list_select_related = ["organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
