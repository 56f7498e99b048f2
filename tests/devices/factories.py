"""Factories for devices. Make loans with the real services (devices.services.loan_create)."""

import factory
from factory.django import DjangoModelFactory

from devices.models import Device, DeviceKind, DeviceStatus

from ..factories import OrganisationFactory


class DeviceFactory(DjangoModelFactory):
    """A device in stock; READY by default so it can be lent straight away."""

    class Meta:
        model = Device

    asset_tag = factory.Sequence(lambda n: f"T-{n:05d}")
    serial_number = factory.Sequence(lambda n: f"SN{n:08d}")
    kind = DeviceKind.LAPTOP
    make = "Lenovo"
    model = "ThinkPad T480"
    accessories = factory.LazyFunction(lambda: ["charger"])
    owning_organisation = factory.SubFactory(OrganisationFactory)
    location = "Main office"
    status = DeviceStatus.READY
    # Back from a loan (returned, or lost and found) means out on loan since its last wipe.
    needs_wipe = factory.LazyAttribute(lambda device: device.status in (DeviceStatus.AWAITING_CHECK, DeviceStatus.LOST))
