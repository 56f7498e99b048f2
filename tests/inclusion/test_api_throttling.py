"""Rate limits (issue 7, item 14): per API key, and per client address for refused keys; 429 with
Retry-After, in the error format, counted in Redis."""

import pytest
from rest_framework.test import APIClient

from inclusion.models import Resident

pytestmark = pytest.mark.django_db

RESIDENTS = "/api/v1/residents/"


@pytest.fixture
def low_limits(settings):
    settings.API_THROTTLE_RATES = {"key": "3/minute", "failed_auth": "2/minute"}


def assert_429(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) > 0
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "throttled"


def test_a_key_over_its_rate_gets_429_with_retry_after(api_a, low_limits):
    for _ in range(3):
        assert api_a.get(RESIDENTS).status_code == 200
    assert_429(api_a.get(RESIDENTS))
    body = {"first_name": "Ada", "last_name": "L", "date_of_birth": "1958-04-02"}
    assert_429(api_a.post(RESIDENTS, body, format="json"))
    assert not Resident.objects.exists()


def test_one_keys_limit_does_not_touch_another_organisations_key(api_a, api_b, low_limits):
    for _ in range(3):
        api_a.get(RESIDENTS)
    assert api_a.get(RESIDENTS).status_code == 429
    assert api_b.get(RESIDENTS).status_code == 200


def test_refused_keys_from_one_address_get_429_even_with_a_good_key_then(api_a, low_limits):
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key")
    assert bad.get(RESIDENTS).status_code == 401
    assert bad.get(RESIDENTS).status_code == 401
    assert_429(bad.get(RESIDENTS))
    assert_429(api_a.get(RESIDENTS))  # the same address: no more keys are checked from it for now


def test_the_failed_key_limit_is_per_address_and_x_forwarded_for_does_not_escape_it(api_a, low_limits):
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key")
    for n in range(2):
        bad.get(RESIDENTS, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert_429(bad.get(RESIDENTS, HTTP_X_FORWARDED_FOR="198.51.100.7"))
    assert api_a.get(RESIDENTS, REMOTE_ADDR="192.0.2.10").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(api_a, low_limits, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.not-a-real-key")
    for _ in range(2):
        bad.get(RESIDENTS, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert_429(bad.get(RESIDENTS, HTTP_X_FORWARDED_FOR="203.0.113.1"))
    assert api_a.get(RESIDENTS, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_good_requests_do_not_count_as_failures(api_a, settings):
    settings.API_THROTTLE_RATES = {"key": "100/minute", "failed_auth": "2/minute"}
    for _ in range(5):
        assert api_a.get(RESIDENTS).status_code == 200


def test_the_limits_are_counted_in_redis(key_pair, low_limits, settings):
    row, api = key_pair
    from django.core.cache import cache

    api.get(RESIDENTS)
    api.get(RESIDENTS)
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert len(cache.get(f"throttle:api-key:{row.pk}")) == 2


@pytest.fixture
def key_pair(org_a):
    from inclusion.services import api_key_create

    row, key = api_key_create(organisation=org_a, name="counted")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return row, api
