"""Django admin for administrators: referrals between partners with their history and outcomes, and the partners'
webhook endpoints, all read-only. A referral's status moves only through referrals/services.py (TRANSITIONS, the
access rule checked again, an event row for each move; a database trigger refuses any other move), so nothing here
changes one. The messages between partners are not shown (they are the two organisations' conversation about a
resident), nor a webhook's signing secret. The service directory's admin is referrals/directory/admin.py."""

from django.contrib import admin

from inclusion.admin import ReadOnlyAdmin, ReadOnlyInline

from .directory import admin as directory_admin  # noqa: F401  (registers the directory's admin)
from .models import Outcome, Referral, ReferralEvent, WebhookEndpoint


class ReferralEventInline(ReadOnlyInline):
    model = ReferralEvent
    fields = ["sequence", "occurred_at", "action", "from_status", "to_status", "organisation", "actor", "reason"]
    ordering = ["sequence"]


class OutcomeInline(ReadOnlyInline):
    model = Outcome
    fields = ["stage", "recorded_at", "organisation", "confidence", "got_online_independently", "found_work"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "from_organisation", "to_organisation", "service", "need", "status", "response_due_on"]
    list_filter = ["status", "need", "urgency", "to_organisation", "from_organisation"]
    list_select_related = ["from_organisation", "to_organisation", "service__organisation"]
    raw_id_fields = ["resident", "service", "sharing_consent"]
    date_hierarchy = "sent_at"
    show_full_result_count = False
    inlines = [ReferralEventInline, OutcomeInline]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "organisation", "active", "created_at"]
    list_filter = ["active", "organisation"]
    exclude = ["secret"]
