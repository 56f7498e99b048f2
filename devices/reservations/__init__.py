"""Reservations and the waiting list: residents queued for a kind of device at an organisation, offered the next
one that becomes ready, oldest first, and held for them for a few days."""
