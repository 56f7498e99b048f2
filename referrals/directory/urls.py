"""Staff web pages for the service directory (/directory/)."""

app_name = "directory"
urlpatterns: list = []
