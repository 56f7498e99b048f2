"""Data-sharing agreements: recording and ending them (the administrators' admin pages call these). What an
agreement does is the access rule's (inclusion.access.sharing_agreement_current)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from inclusion.actors import Actor
from inclusion.errors import DomainError
from inclusion.events import audit_record, changed_values
from inclusion.models import DataSharingAgreement

FIELDS = ("reference", "starts_on", "ends_on")


def _values(agreement: DataSharingAgreement) -> dict:
    return {name: str(getattr(agreement, name)) for name in FIELDS}


@transaction.atomic
def sharing_agreement_save(*, actor: Actor, agreement: DataSharingAgreement) -> DataSharingAgreement:
    """Record a new agreement or a change of one (its reference, its dates), with an audit event of the values
    before and after. Refused (DomainError naming the field) if it ends before it starts or its reference is
    already the organisation's. From the next request, the organisation's links share residents only on the
    days it runs."""
    before = {}
    if agreement.pk:
        before = _values(DataSharingAgreement.objects.select_for_update().get(pk=agreement.pk))
    try:
        agreement.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], field=None if field == "__all__" else field, code="invalid") from error
    agreement.save()
    old, new = changed_values(before, _values(agreement))
    audit_record(actor=actor, action="sharing_agreement.update" if before else "sharing_agreement.create",
                 obj=agreement, before=old, after=new)  # fmt: skip
    return agreement


@transaction.atomic
def sharing_agreement_delete(*, actor: Actor, agreement: DataSharingAgreement) -> None:
    """Remove an agreement recorded by mistake (one that ended stays, with its dates, for the record)."""
    audit_record(actor=actor, action="sharing_agreement.delete", obj=agreement, before=_values(agreement))
    agreement.delete()
