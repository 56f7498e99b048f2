"""Django admin for administrators: organisations, staff and memberships, API keys, and read-only views
of residents and their timeline (changes go through the staff web so they are recorded), and the field
history of every tracked model (inclusion/audit.py)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.utils.html import format_html, format_html_join
from rest_framework_api_key.admin import APIKeyModelAdmin

from .audit import history_changes, tracked_models
from .models import AuditEvent, CaseEvent, Consent, Membership, Organisation, OrganisationAPIKey, Resident, User


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows changed only through the services, so every change is checked by their rules and recorded. Apps'
    admins use it (devices, vouchers, referrals, the service directory)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # Django 6's default, shown read-only

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown with their parent, never changed here (see ReadOnlyAdmin)."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["organisation", "role", "active", "deactivated_at"]
    readonly_fields = ["deactivated_at"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "local_authority", "is_scheme_lead", "active"]
    list_filter = ["kind", "local_authority", "active"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Details", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "active"]
    list_filter = ["role", "active", "organisation"]
    search_fields = ["user__email", "user__full_name"]


@admin.register(OrganisationAPIKey)
class OrganisationAPIKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "organisation", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "organisation"]
    readonly_fields = [*APIKeyModelAdmin.readonly_fields, "last_used_at"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "postcode", "owning_organisation", "created_at"]
    list_filter = ["owning_organisation", "local_authority"]
    search_fields = ["last_name_key", "postcode_key"]
    list_select_related = ["owning_organisation"]
    show_full_result_count = False
    readonly_fields = ["field_history"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Field history")
    def field_history(self, obj):
        """Who changed which fields, when, from what to what (inclusion.audit.history_changes), newest first."""
        changes = history_changes(Resident, [obj.pk])
        if not changes:
            return "No changes recorded."
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f"{change.at:%Y-%m-%d %H:%M}", f"{change.who} {change.organisation}".strip(), change.kind,
              "; ".join(f"{field.label}: {field.before or '(blank)'} → {field.after or '(blank)'}"
                        for field in change.fields)) for change in changes),
        )  # fmt: skip
        return format_html("<table><tr><th>When</th><th>Who</th><th>What</th><th>Fields</th></tr>{}</table>", rows)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["resident", "purpose", "given_at", "withdrawn_at", "organisation"]
    list_filter = ["purpose"]
    raw_id_fields = ["resident"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "kind", "summary", "organisation"]
    list_filter = ["kind", "organisation"]
    raw_id_fields = ["resident"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Changes that belong to no resident (loan policies, memberships, API keys, stock taken out of use): read only."""

    list_display = ["occurred_at", "action", "object_repr", "organisation", "actor_label"]
    list_filter = ["action", "organisation"]
    search_fields = ["object_repr", "object_id"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FieldHistoryAdmin(ReadOnlyAdmin):
    """The rows the database triggers wrote for one tracked model (inclusion/audit.py): what changed, when, and
    the context (who: the member of staff, the organisation, the API key, the task or command). Read only: the
    tables refuse changes anyway."""

    list_display = ["pgh_created_at", "pgh_label", "pgh_obj_id", "context"]
    list_filter = ["pgh_label"]
    list_select_related = ["pgh_context"]
    date_hierarchy = "pgh_created_at"
    ordering = ["-pgh_id"]

    @admin.display(description="Who (context)")
    def context(self, obj):
        if obj.pgh_context is None:
            return "Not recorded"
        return ", ".join(f"{key} {value}" for key, value in sorted(obj.pgh_context.metadata.items()) if value)


for _tracked in tracked_models():
    admin.site.register(_tracked.history_model, FieldHistoryAdmin)
