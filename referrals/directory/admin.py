"""Django admin for administrators: the service directory, read-only. A service is changed only through
referrals/directory/services.py (the staff web, the API or the import), so its rules hold (one name per
organisation, a place for an in-person service...) and every change writes its audit event. Registered through
referrals/admin.py, which Django's admin autodiscovery reads."""

from django.contrib import admin

from inclusion.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Service, ServiceLocation


class ServiceLocationInline(ReadOnlyInline):
    model = ServiceLocation
    fields = ["name", "address_line_1", "address_line_2", "town", "postcode", "accessibility"]


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "kind", "delivery", "status", "referrals_open", "updated_at"]
    list_filter = ["status", "kind", "delivery", "referrals_open", "organisation"]
    search_fields = ["name", "description"]
    list_select_related = ["organisation"]
    inlines = [ServiceLocationInline]
