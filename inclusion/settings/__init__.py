"""Settings: base.py declares everything; dev, test and production differ only where they must."""
