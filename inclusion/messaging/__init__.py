"""Messages to residents and staff that happen because time passed: reminder stages, sweeps, digests, the
send task (GOV.UK Notify, Django's email backend), delivery receipts and the outbox. A Django app of its
own (label `messaging`) inside the core: apps plug their due things in through `messaging.sources`."""
