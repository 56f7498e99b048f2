"""A device's details are written once (devices.models.DEVICE_COLUMNS): everything that lists them derives from it,
so adding a detail there adds it to the forms, the API, the import (and its column guide) and the export. And what
a history entry says, in words."""

from devices import exports, imports
from devices.api.serializers import DeviceCreateInputSerializer, DeviceOutputSerializer
from devices.forms.stock import DeviceAddForm, DeviceForm
from devices.models import DEVICE_COLUMNS, DEVICE_FIELDS, Device, DeviceEvent, VoucherEvent

NAMES = [column.name for column in DEVICE_COLUMNS]


def test_every_detail_is_a_device_field_with_a_heading_and_a_guide():
    assert len(set(NAMES)) == len(NAMES) and list(DEVICE_FIELDS) == NAMES
    for column in DEVICE_COLUMNS:
        assert Device._meta.get_field(column.name)
        assert column.heading and column.guide.endswith(".")


def test_the_import_export_forms_and_api_take_their_columns_from_the_one_list():
    assert list(imports.IMPORT_COLUMNS) == NAMES
    assert [name for name, _ in imports.column_guide()] == NAMES
    assert exports.HEADINGS[: len(NAMES)] == [column.heading for column in DEVICE_COLUMNS]
    assert exports.HEADINGS[len(NAMES) :] == ["Status", "Added on"] and len(exports.WIDTHS) == len(exports.HEADINGS)
    assert set(DeviceAddForm().fields) == set(NAMES)
    assert set(DeviceForm().fields) == set(NAMES) - {"asset_tag"}
    assert set(DeviceCreateInputSerializer().fields) == set(NAMES)
    assert set(NAMES) <= set(DeviceOutputSerializer().fields)


def test_an_exported_heading_is_read_back_by_the_import():
    from inclusion.spreadsheets import heading_key

    assert [heading_key(column.heading) for column in DEVICE_COLUMNS] == NAMES


def test_a_history_entry_says_what_happened_in_words():
    stolen = DeviceEvent(action="report lost", data={"stolen": True})
    lost = DeviceEvent(action="report lost", data={"stolen": False})
    assert (stolen.title, lost.title, DeviceEvent(action="report lost").title) == (
        "Reported stolen", "Reported lost", "Reported lost or stolen"
    )  # fmt: skip
    assert DeviceEvent(action="mark ready").title == "Marked ready to lend"
    assert DeviceEvent(action="something new").title == "Something new"
    edited = DeviceEvent(action="update details", data={"fields": ["serial_number", "notes"]})
    assert edited.changed == ["serial number", "notes"] and edited.missing == ""
    returned = DeviceEvent(action="record a return", data={"missing_accessories": ["charger", "sim_tray_tool"]})
    assert returned.missing == "charger, SIM tray tool"
    assert VoucherEvent(action="fail").title == "Marked not working"
    assert DeviceEvent(action="lend").actor_label == "System"
