"""/messages/: reminder stages and the outbox."""

from django.urls import path, register_converter

from . import views


class SignedIntConverter:
    """Days before the due date are negative: /messages/stages/-7/."""

    regex = r"-?\d{1,3}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))


register_converter(SignedIntConverter, "signed")

app_name = "messaging"
urlpatterns = [
    path("stages/", views.stage_list, name="stage-list"),
    path("stages/add/", views.stage_edit, name="stage-add"),
    path("stages/<signed:offset>/", views.stage_edit, name="stage-edit"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:message_pk>/letter/", views.letter, name="letter"),
]
