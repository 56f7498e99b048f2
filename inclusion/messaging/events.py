"""The case timeline entries messaging writes: a message sent to (or queued for) a resident, a failure,
a chase staff recorded."""

from django.db import models


class MessageEventKind(models.TextChoices):
    MESSAGE_SENT = "message_sent", "Message sent"
    MESSAGE_QUEUED = "message_queued", "Letter queued to print"
    MESSAGE_FAILED = "message_failed", "Message not delivered"
    MESSAGE_SKIPPED = "message_skipped", "Message not sent"
    CHASE_RECORDED = "chase_recorded", "Chase recorded"
