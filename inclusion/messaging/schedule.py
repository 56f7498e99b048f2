"""The periodic schedule, kept in the database (django-celery-beat) and written here on every migrate: one row
per job, by name, so a change here reaches every deployment and coordinators' changes in the admin to a
job's timing survive until the code changes that job. Exactly one beat process reads it. Every periodic job of
every app is listed here, and only here."""

SWEEP_MINUTES = 5

# name: (task, schedule) with schedule ("every", minutes) or ("crontab", minute, hour, day_of_month)
JOBS = {
    "Reminders sweep": ("messaging.reminders_sweep", ("every", SWEEP_MINUTES)),
    "Messages stuck in sending": ("messaging.messages_reconcile", ("every", SWEEP_MINUTES)),
    "Delivery receipts from GOV.UK Notify": ("messaging.delivery_statuses_poll", ("every", 10)),
    "Expire unissued voucher codes of expired batches": (
        "devices.vouchers_expire_unissued",
        ("crontab", "15", "0", "*"),
    ),
    "Purge expired idempotency records": ("inclusion.tasks.idempotency_records_purge", ("crontab", "30", "3", "*")),
    # Last month's impact reports, frozen and emailed, at 06:00 UK time on the 1st (inclusion/reports/tasks.py).
    "Monthly impact reports": ("inclusion.reports.tasks.monthly_reports", ("crontab", "0", "6", "1")),
    # Closed months' figures computed again where late corrections (or the night's anonymising) touched them,
    # so that the day's reports read stored months (inclusion/reports/rollups.py).
    "Closed months' report figures": ("inclusion.reports.tasks.report_rollups_refresh", ("crontab", "15", "4", "*")),
    # Waiting-list holds not collected in time lapse; the device goes to the next (devices/reservations/).
    "Lapse uncollected reservation holds": ("devices.reservations_lapse_expired", ("every", 15)),
    # Residents confirmed at retention review are anonymised at night (inclusion/privacy/retention.py).
    "Anonymise residents confirmed at retention review": (
        "privacy.retention_anonymise_confirmed",
        ("crontab", "30", "2", "*"),
    ),
    # Webhook deliveries a lost task left behind (referrals/webhooks.py).
    "Webhook deliveries due": ("referrals.tasks.webhook_deliveries_due", ("every", 1)),
}


def jobs() -> dict:
    return dict(JOBS)


def schedule_install(**kwargs) -> list[str]:
    """Create or update the periodic tasks in django-celery-beat's tables (a post_migrate receiver)."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    names = []
    for name, (task, when) in jobs().items():
        if when[0] == "every":
            interval, _ = IntervalSchedule.objects.get_or_create(every=when[1], period=IntervalSchedule.MINUTES)
            timing = {"interval": interval, "crontab": None}
        else:
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=when[1], hour=when[2], day_of_month=when[3], month_of_year="*", day_of_week="*",
                timezone="Europe/London",
            )  # fmt: skip
            timing = {"crontab": crontab, "interval": None}
        PeriodicTask.objects.update_or_create(name=name, defaults={"task": task, **timing})
        names.append(name)
    return names
