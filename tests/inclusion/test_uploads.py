"""Keeping an upload between its preview and its confirmation: for one user in one organisation, for 30
minutes, claimed once."""

import pytest
from django.core.cache import cache

from inclusion import uploads
from inclusion.uploads import Upload, upload_claim, upload_keep, upload_name

from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db
PURPOSE = "tests:import"


def keep(membership, **extra) -> str:
    return upload_keep(purpose=PURPOSE, membership=membership, filename="f.csv", content=b"code\nA-1\n", **extra)


def test_an_upload_is_claimed_once_with_what_was_posted_with_it(staff_a):
    token = keep(staff_a, data={"provider": ["3"]})
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) == Upload(
        filename="f.csv", content=b"code\nA-1\n", data={"provider": ["3"]}
    )
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) is None


def test_an_upload_waits_in_the_cache_for_30_minutes_under_its_purpose(staff_a):
    token = keep(staff_a)
    key = cache.make_and_validate_key(f"{PURPOSE}:{token}")
    assert uploads.KEEP_SECONDS == 30 * 60 and 30 * 60 - 5 <= cache._cache.get_client(key).ttl(key) <= 30 * 60
    assert "30 minutes" in uploads.EXPIRED
    assert upload_claim(purpose="tests:other", membership=staff_a, token=token) is None
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) is not None


def test_of_two_claims_at_once_only_the_one_whose_delete_succeeds_gets_the_upload(staff_a, monkeypatch):
    token = keep(staff_a)
    real_get = cache.get

    def get_then_the_other_claim_deletes_it(key, *args, **kwargs):
        found = real_get(key, *args, **kwargs)
        cache.delete(key)  # the other confirmation, which read it too, deletes it first
        return found

    monkeypatch.setattr(cache, "get", get_then_the_other_claim_deletes_it)
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) is None


def test_the_caller_can_keep_an_upload_for_less_time(staff_a):
    token = keep(staff_a, seconds=60)
    key = cache.make_and_validate_key(f"{PURPOSE}:{token}")
    assert 55 <= cache._cache.get_client(key).ttl(key) <= 60


def test_someone_else_in_the_same_organisation_cannot_claim_it_and_it_stays_for_its_owner(staff_a, org_a):
    token = keep(staff_a)
    assert upload_claim(purpose=PURPOSE, membership=MembershipFactory(organisation=org_a), token=token) is None
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) is not None


def test_the_same_user_in_another_organisation_cannot_claim_it(staff_a, org_b):
    token = keep(staff_a)
    elsewhere = MembershipFactory(organisation=org_b, user=staff_a.user)
    assert upload_claim(purpose=PURPOSE, membership=elsewhere, token=token) is None
    # A claim from the wrong organisation does not use it up.
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) is not None


@pytest.mark.parametrize("token", ["", "short", "x" * 200, "../../etc", "a" * 43, None])
def test_a_missing_malformed_or_unknown_token_finds_nothing(staff_a, token):
    keep(staff_a)
    assert upload_claim(purpose=PURPOSE, membership=staff_a, token=token) is None


def test_upload_name_drops_any_folders_the_browser_sent():
    assert upload_name("C:\\Users\\sam\\stock.csv") == "stock.csv"
    assert upload_name("/home/sam/stock.xlsx") == "stock.xlsx"
    assert upload_name("") == "the file" and upload_name(None) == "the file"
    assert upload_name("x" * 300 + ".csv") == "x" * 200
