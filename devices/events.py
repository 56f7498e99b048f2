"""Device history entries: one function writes them, in the same transaction as the change."""

from inclusion.actors import Actor

from .models import Device, DeviceEvent


def device_event_record(
    *, device: Device, actor: Actor, action: str, from_status: str = "", to_status: str = "", note: str = "",
    data: dict | None = None,
) -> DeviceEvent:  # fmt: skip
    return DeviceEvent.objects.create(
        device=device, action=action, from_status=from_status, to_status=to_status,
        organisation=actor.organisation, actor=actor.user, api_key=actor.api_key, note=note, data=data or {},
    )  # fmt: skip
