"""URLs included by devices/urls.py (namespace "devices")."""

urlpatterns: list = []
