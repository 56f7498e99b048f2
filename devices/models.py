"""Device and voucher models arrive with the device-loans work."""
