"""Staff web forms: the GOV.UK form base (base.py) and the core's own forms (residents.py)."""
