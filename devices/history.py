"""What a device's and a voucher's history rows have in common (DeviceEvent, VoucherEvent): who (a member of staff,
a partner's API key, or the system), for which organisation, when, what was done, a note and facts. Each model adds
the thing it is the history of and its from/to statuses."""

from django.db import models
from django.utils import timezone

from inclusion.actors import Actor
from inclusion.models import Organisation, OrganisationAPIKey, User, actor_label


class HistoryEvent(models.Model):
    action = models.CharField(max_length=40)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    api_key = models.ForeignKey(OrganisationAPIKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-occurred_at", "-id"]

    @classmethod
    def record(cls, *, actor: Actor, **fields):
        """Write a row for what `actor` did (in the caller's transaction)."""
        return cls.objects.create(organisation=actor.organisation, actor=actor.user, api_key=actor.api_key, **fields)

    @property
    def actor_label(self):
        return actor_label(self.actor, self.api_key)
