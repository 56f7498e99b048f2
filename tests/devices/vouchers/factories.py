"""Factories for voucher stock. Issue vouchers with the real service (voucher_issue)."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from devices.models import Provider, Voucher, VoucherBatch, VoucherKind

from ...factories import OrganisationFactory


def iccid(n: int) -> str:
    """A valid ICCID (89 44 ..., Luhn check digit computed)."""
    body = f"894420{n:012d}"
    digits = [int(d) for d in body]
    total = 0
    for position, value in enumerate(reversed(digits)):
        if position % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return body + str((10 - total % 10) % 10)


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Network {n}")
    slug = factory.Sequence(lambda n: f"network-{n}")


class VoucherBatchFactory(DjangoModelFactory):
    class Meta:
        model = VoucherBatch

    provider = factory.SubFactory(ProviderFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    kind = VoucherKind.DATA_CODE
    data_allowance_gb = 20
    validity_days = 30
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))


class VoucherFactory(DjangoModelFactory):
    class Meta:
        model = Voucher

    batch = factory.SubFactory(VoucherBatchFactory)
    provider = factory.SelfAttribute("batch.provider")
    code = factory.Sequence(lambda n: f"CODE-{n:08d}")
