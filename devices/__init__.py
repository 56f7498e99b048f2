"""Devices, loans and data vouchers (filled in by the device-loans and vouchers work)."""
