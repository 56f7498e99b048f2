"""The resident page at scale, in a real browser (issue 12): the case timeline a page at a time, and the issue
form's stock figure bounded ("100 or more left"). Screenshots artifacts/screenshots/95-...png, checked with
axe-core (WCAG 2.2 A and AA), for our house style and for JavaScript errors."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devices.models import Voucher, VoucherKind
from inclusion import choices
from inclusion.actors import Actor
from inclusion.models import CaseEvent
from inclusion.services import note_add
from inclusion.views import TIMELINE_PAGE_SIZE

from ..devices.vouchers.factories import ProviderFactory, VoucherBatchFactory
from ..factories import MembershipFactory, OrganisationFactory, ResidentFactory
from .test_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_long_timeline_comes_a_page_at_a_time_and_the_stock_figure_is_bounded(page, checks):
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", kind=choices.OrganisationKind.COUNCIL)
    staff = MembershipFactory(organisation=alpha, role=choices.Role.FRONTLINE, user__full_name="Fran Tline")
    resident = ResidentFactory(owning_organisation=alpha, first_name="Margaret", last_name="Oduya")
    batch = VoucherBatchFactory(organisation=alpha, provider=ProviderFactory(name="National Databank"),
                                kind=VoucherKind.DATA_CODE)  # fmt: skip
    Voucher.objects.bulk_create(Voucher(batch=batch, provider=batch.provider, code=f"NDB-{n:06d}") for n in range(150))
    start = timezone.now() - timedelta(days=60)
    for n in range(TIMELINE_PAGE_SIZE + 7):
        event = note_add(actor=Actor.for_membership(staff), resident=resident, body=f"Call number {n + 1}")
        CaseEvent.objects.filter(pk=event.pk).update(occurred_at=start + timedelta(days=n))
    total = CaseEvent.objects.filter(resident=resident).count()

    sign_in(page, staff.user)
    page.goto(f"/residents/{resident.pk}/")
    expect(page.get_by_role("radio", name="Data voucher code (100 or more left)")).to_be_visible()
    expect(page.get_by_text(f"Entries 1 to {TIMELINE_PAGE_SIZE} of {total}, newest first")).to_be_visible()
    expect(page.get_by_text(f"Call number {TIMELINE_PAGE_SIZE + 7}", exact=True)).to_be_visible()
    expect(page.get_by_text("Call number 1", exact=True)).to_have_count(0)
    checks("95-resident-page-timeline-first-page")

    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next page").click()
    expect(page.get_by_text(f"of {total}, newest first")).to_be_visible()
    expect(page.get_by_text("Call number 1", exact=True)).to_be_visible()
    expect(page.get_by_text(f"Call number {TIMELINE_PAGE_SIZE + 7}", exact=True)).to_have_count(0)
    checks("96-resident-page-timeline-last-page")
    checks.assert_all_clean()
