"""The access log in the Django admin, read only (the table refuses changes anyway); the partners'
data-sharing agreements, recorded by administrators."""

from django.contrib import admin

from inclusion.models import DataSharingAgreement

from .agreements import sharing_agreement_delete, sharing_agreement_save
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


@admin.register(DataSharingAgreement)
class DataSharingAgreementAdmin(admin.ModelAdmin):
    """Administrators record each partner's agreement (inclusion.privacy.agreements, audited): without a current
    one, a partner reaches no other organisation's resident (inclusion.access)."""

    list_display = ["reference", "organisation", "starts_on", "ends_on", "is_current"]
    list_filter = ["organisation"]
    search_fields = ["reference", "organisation__name"]
    list_select_related = ["organisation"]
    fields = ["organisation", "reference", "starts_on", "ends_on"]

    @admin.display(boolean=True, description="Current")
    def is_current(self, obj):
        return obj.is_current

    def _actor(self, request, obj):
        from inclusion.actors import Actor

        return Actor(organisation=obj.organisation, user=request.user)

    def save_model(self, request, obj, form, change):
        sharing_agreement_save(actor=self._actor(request, obj), agreement=obj)

    def delete_model(self, request, obj):
        sharing_agreement_delete(actor=self._actor(request, obj), agreement=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
