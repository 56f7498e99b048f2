"""Management commands: API keys printed once and revocable; the demo loads idempotently;
production settings refuse unsafe configuration."""

import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from devices.models import Device, Loan, Voucher
from inclusion.models import Membership, Organisation, OrganisationAPIKey, Resident, User
from inclusion.privacy.demo import RETENTION_DOMAIN
from inclusion.reports.demo import HISTORY_DOMAIN

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_key_that_works_and_revoke_stops_it(org_a):
    out = StringIO()
    call_command("create_api_key", "alpha", "--name", "CRM", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    api_key = OrganisationAPIKey.objects.get(organisation=org_a)
    assert key.startswith(api_key.prefix + ".") and api_key.hashed_key != key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/residents/").status_code == 200
    call_command("revoke_api_key", api_key.prefix, stdout=StringIO())
    assert client.get("/api/v1/residents/").status_code == 401


def test_create_api_key_for_unknown_organisation_fails_clearly(db):
    with pytest.raises(CommandError, match="No active organisation with slug 'nope'"):
        call_command("create_api_key", "nope", "--name", "x")


def test_load_demo_is_idempotent(db):
    call_command("load_demo", stdout=StringIO())
    # The impact report's year of residents, loans and vouchers (inclusion/reports/demo.py) are counted in
    # tests/reports/test_demo.py; here, the rest.
    residents = Resident.objects.exclude(email__endswith="@" + HISTORY_DOMAIN).exclude(
        email__endswith="@" + RETENTION_DOMAIN  # the retention review's, counted in tests/privacy/
    )
    devices = Device.objects.exclude(asset_tag__startswith="HIST-")
    loans = Loan.objects.exclude(device__asset_tag__startswith="HIST-")
    vouchers = Voucher.objects.exclude(batch__reference__startswith="NDB-HIST-")
    counts = (Organisation.objects.count(), User.objects.count(), Membership.objects.count(), residents.count())
    assert counts == (4, 7, 7, 200)
    assert Organisation.objects.filter(is_scheme_lead=True).count() == 1
    assert {m.role for m in Membership.objects.all()} == {"frontline", "coordinator", "viewer", "administrator"}
    # A dozen devices per partner, three lent (one overdue); then lending as schemes run it (devices/demo.py
    # lending_load): a MiFi and a tablet more each, a kit of two devices and a data voucher, three open-ended loans.
    assert devices.count() == 48 + 8 and loans.filter(closed_at__isnull=True).count() == 12 + 4 * 5
    assert loans.filter(due_on__lt=timezone.localdate(), closed_at__isnull=True).count() == 4 + 4
    assert vouchers.count() == 200 and vouchers.filter(status="issued").count() == 8 + 4
    _assert_lending_demo()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "0 new residents" in out.getvalue()
    assert (Organisation.objects.count(), User.objects.count(), Membership.objects.count(),
            residents.count()) == counts  # fmt: skip
    assert devices.count() == 48 + 8 and vouchers.count() == 200
    _assert_lending_demo()


def _assert_lending_demo():
    """What `make run` shows of issue 13: agreements (the council's in two versions), kits with a voucher line,
    open-ended loans (renewal due this week, renewed, overdue), a waiting list with a lapse, a hold and a place, and
    a place queued from the council's lending referral."""
    from devices.models import Kit, KitLoan, LoanAgreement, Reservation
    from devices.selectors import loans_renewal_due

    today = timezone.localdate()
    assert LoanAgreement.objects.count() == 5 and LoanAgreement.objects.filter(version=2).count() == 1
    assert Kit.objects.count() == 8 and Kit.objects.exclude(voucher_kind="").count() == 4
    assert KitLoan.objects.count() == 4 and not KitLoan.objects.filter(voucher__isnull=True).exists()
    assert all(kit_loan.items.count() == 2 for kit_loan in KitLoan.objects.all())
    open_ended = Loan.objects.filter(open_ended=True, closed_at__isnull=True)
    assert open_ended.count() == 12 and open_ended.filter(renewals=1).count() == 4
    assert open_ended.filter(due_on__lt=today).count() == 4
    assert loans_renewal_due(organisation=None).count() == 8  # due this week, or unanswered but not long
    tablets = Reservation.objects.filter(kind="tablet")
    assert sorted(tablets.values_list("status", flat=True)) == ["lapsed"] * 4 + ["offered"] * 4 + ["waiting"] * 4
    assert set(tablets.filter(status="lapsed").values_list("closed_reason", flat=True)) == {
        "Not collected within 3 days"
    }
    from_referral = Reservation.objects.get(referral__isnull=False)
    assert from_referral.organisation == from_referral.referral.to_organisation and from_referral.status == "waiting"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "true", "SECRET_KEY": "x" * 50}, "DEBUG must be off in production"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set"),
    ],
)
def test_production_settings_refuse_to_start_when_unsafe(env, message):
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    environment.update(env, DJANGO_SETTINGS_MODULE="inclusion.settings.production")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=environment,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode != 0 and message in result.stderr


def test_production_settings_start_when_safe():
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(SECRET_KEY="k" * 50, DJANGO_SETTINGS_MODULE="inclusion.settings.production")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); print('ok')"], env=environment,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_collectstatic_succeeds_under_production_settings(tmp_path):
    """What the Dockerfile runs: the manifest storage refuses a stylesheet that refers to a missing file
    (the compiled app.css once pointed at GOV.UK's crest, which the asset build does not ship)."""
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(SECRET_KEY="k" * 50, DJANGO_SETTINGS_MODULE="inclusion.settings.production",
                       STATIC_ROOT=str(tmp_path))  # fmt: skip
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input"], env=environment,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "dist/app.css" in manifest


def test_every_url_in_the_stylesheet_is_a_file_we_ship():
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "dist" / "app.css").read_text()
    for url in set(re.findall(r"url\(\"?([^\")]+)\"?\)", css)):
        if url.startswith("data:"):
            continue
        assert url.startswith(settings.STATIC_URL), url
        assert (settings.BASE_DIR / "static" / url.removeprefix(settings.STATIC_URL)).is_file(), url
