"""The voucher partner API: import, issue, masking, actions, scoping and errors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Voucher, VoucherStatus
from devices.vouchers.services import voucher_issue
from inclusion.models import CaseEvent

from ...factories import ResidentFactory
from .factories import ProviderFactory, VoucherBatchFactory, VoucherFactory, iccid

pytestmark = pytest.mark.django_db
V = VoucherStatus


@pytest.fixture
def provider():
    return ProviderFactory(name="Vodafone", slug="vodafone")


def import_body(provider, vouchers, **overrides):
    return {"provider": provider.slug, "kind": "data_code", "data_allowance_gb": "20", "validity_days": 30,
            "expires_on": str(timezone.localdate() + timedelta(days=90)), "vouchers": vouchers, **overrides}  # fmt: skip


def attrs(response):
    return {error["attr"] for error in response.json()["errors"]}


def test_no_key_is_401(client):
    assert client.get("/api/v1/vouchers/").status_code == 401
    assert client.post("/api/v1/vouchers/issue/", {}, content_type="application/json").status_code == 401


def test_import_dry_run_then_real(api_a, provider, org_a):
    vouchers = [{"code": f"VF-{i:05d}"} for i in range(20)]
    dry = api_a.post("/api/v1/voucher-batches/import/", import_body(provider, vouchers, dry_run=True), format="json")
    assert dry.status_code == 200 and dry.json()["imported"] == 0 and not Voucher.objects.exists()
    real = api_a.post("/api/v1/voucher-batches/import/", import_body(provider, vouchers), format="json")
    assert real.status_code == 201, real.json()
    body = real.json()
    assert body["imported"] == 20 and body["batch"]["counts"]["available"] == 20
    assert body["batch"]["organisation"] == "alpha"
    assert Voucher.objects.filter(batch__organisation=org_a).count() == 20


def test_import_names_every_bad_row_and_imports_nothing(api_a, provider):
    vouchers = [{"code": "GOOD-001"}, {"code": "GOOD-001"}, {"code": "bad code!"}, {"iccid": iccid(5)[:-1] + "0"
                if not iccid(5).endswith("0") else iccid(5)[:-1] + "1"}, {"code": ""}]  # fmt: skip
    response = api_a.post("/api/v1/voucher-batches/import/", import_body(provider, vouchers), format="json")
    # A code of the wrong shape breaks the schema: a 400 naming it, before any row is checked further.
    assert response.status_code == 400
    assert attrs(response) == {"vouchers.2.code"}
    del vouchers[2]
    response = api_a.post("/api/v1/voucher-batches/import/", import_body(provider, vouchers), format="json")
    # Repeats, check digits and empty rows are rules no schema states: a 422 naming every such row.
    assert response.status_code == 422
    assert attrs(response) == {"vouchers.1", "vouchers.2", "vouchers.3"}
    assert {error["code"] for error in response.json()["errors"]} == {"invalid_row"}
    assert not Voucher.objects.exists()


def test_import_of_an_expired_batch_is_refused(api_a, provider):
    body = import_body(provider, [{"code": "GOOD-001"}], expires_on=str(timezone.localdate() - timedelta(days=1)))
    response = api_a.post("/api/v1/voucher-batches/import/", body, format="json")
    assert response.status_code == 422 and attrs(response) == {"expires_on"}


def test_import_with_unknown_provider_or_kind_is_400(api_a, provider):
    body = {**import_body(provider, [{"code": "GOOD-001"}]), "provider": "nope", "kind": "carrier_pigeon"}
    response = api_a.post("/api/v1/voucher-batches/import/", body, format="json")
    assert response.status_code == 400 and {"provider", "kind"} <= attrs(response)


def test_issue_returns_the_code_once_and_lists_mask_it(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory(batch__organisation=org_a, code="WHOLECODE-7788")
    issued = api_a.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    assert issued.status_code == 201 and issued.json()["code"] == "WHOLECODE-7788"
    listing = api_a.get("/api/v1/vouchers/")
    assert "WHOLECODE" not in listing.content.decode() and "7788" in listing.content.decode()
    detail = api_a.get(f"/api/v1/vouchers/{issued.json()['id']}/")
    assert "WHOLECODE" not in detail.content.decode()
    batches = api_a.get("/api/v1/voucher-batches/")
    assert batches.json()["results"][0]["counts"]["issued"] == 1


def test_issue_refusals_are_409_with_the_reason(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherBatchFactory(organisation=org_a)
    response = api_a.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "out_of_stock"


def test_issue_to_a_resident_you_cannot_see_is_422_and_issues_nothing(api_b, org_a, org_b):
    resident = ResidentFactory(owning_organisation=org_a)
    VoucherFactory(batch__organisation=org_b)
    response = api_b.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    assert response.status_code == 422 and attrs(response) == {"resident"}
    assert not Voucher.objects.filter(status=V.ISSUED).exists()


def test_actions_activate_fail_withdraw(api_a, org_a):
    resident = ResidentFactory(owning_organisation=org_a)
    batch = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(3, batch=batch)
    issued = api_a.post("/api/v1/vouchers/issue/", {"resident": str(resident.pk), "kind": "data_code"}, format="json")
    pk = issued.json()["id"]
    bad = api_a.post(f"/api/v1/vouchers/{pk}/fail/", {}, format="json")
    assert bad.status_code == 400 and attrs(bad) == {"reason"}
    failed = api_a.post(f"/api/v1/vouchers/{pk}/fail/", {"reason": "Network rejected it"}, format="json")
    assert failed.status_code == 200
    replacement = failed.json()["replacement"]
    assert failed.json()["failed"]["status"] == "failed" and replacement["replacement_for"] == pk
    again = api_a.post(f"/api/v1/vouchers/{pk}/activate/", format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "illegal_transition"
    activated = api_a.post(f"/api/v1/vouchers/{replacement['id']}/activate/", format="json")
    assert activated.status_code == 200 and activated.json()["status"] == "activated"
    spare = Voucher.objects.get(batch=batch, status=V.AVAILABLE)
    withdrawn = api_a.post(f"/api/v1/vouchers/{spare.pk}/withdraw/", {"reason": "Damaged"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert CaseEvent.objects.filter(resident=resident, kind="voucher_activated").count() == 1


def test_another_organisations_vouchers_are_404(api_b, org_a):
    voucher = VoucherFactory(batch__organisation=org_a)
    assert api_b.get(f"/api/v1/vouchers/{voucher.pk}/").status_code == 404
    assert api_b.get(f"/api/v1/voucher-batches/{voucher.batch_id}/").status_code == 404
    for action in ("activate", "fail", "withdraw"):
        assert api_b.post(f"/api/v1/vouchers/{voucher.pk}/{action}/", {"reason": "x"}, format="json").status_code == 404
    assert api_b.get("/api/v1/vouchers/").json()["count"] == 0
    voucher.refresh_from_db()
    assert voucher.status == V.AVAILABLE


def test_voucher_list_query_count_does_not_grow(api_a, org_a, django_assert_max_num_queries):
    batch = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(5, batch=batch)
    with django_assert_max_num_queries(4):
        assert api_a.get("/api/v1/vouchers/").json()["count"] == 5
    VoucherFactory.create_batch(45, batch=batch)
    with django_assert_max_num_queries(4):
        assert api_a.get("/api/v1/vouchers/?page_size=50").json()["count"] == 50


def test_import_dry_run_does_not_confirm_another_organisations_code(api_b, org_a, provider):
    """The oracle the issue found: B testing a guess at A's code with a dry run."""
    VoucherFactory(batch__organisation=org_a, batch__provider=provider, provider=provider, code="ALPHA-CODE-796B")
    response = api_b.post("/api/v1/voucher-batches/import/",
                          import_body(provider, [{"code": "ALPHA-CODE-796B"}], dry_run=True), format="json")  # fmt: skip
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["attr"], error["detail"]) == ("vouchers.0", "Code ending 796B cannot be imported: check it with "
                                                              "the provider")  # fmt: skip
    assert "held" not in response.content.decode() and "ALPHA-CODE" not in response.content.decode()


def test_imports_over_the_hourly_limit_are_429_with_retry_after(api_b, provider, settings):
    from devices.models import VoucherImportRecord

    settings.VOUCHER_IMPORTS_PER_HOUR = 3
    body = import_body(provider, [{"code": "GUESS-0001"}], dry_run=True)
    answers = [api_b.post("/api/v1/voucher-batches/import/", body, format="json").status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    refused = api_b.post("/api/v1/voucher-batches/import/", body, format="json")
    assert refused.status_code == 429
    [error] = refused.json()["errors"]
    assert error["code"] == "throttled" and "3 voucher imports or checks this hour" in error["detail"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert VoucherImportRecord.objects.filter(api_key__isnull=False).count() == 3


def test_schema_documents_the_import_limit(api_a):
    schema = api_a.get("/api/schema/", {"format": "json"}).json()
    assert "429" in schema["paths"]["/api/v1/voucher-batches/import/"]["post"]["responses"]


def _same_answer(first, second):
    assert (first.status_code, first.json()) == (second.status_code, second.json())
    return first


def test_voucher_filters_do_not_reveal_another_organisations_residents_or_batches(api_b, org_a, org_b):
    """The oracles the issue found: ?resident= and ?batch= answered differently for A's records than for
    records that do not exist."""
    import uuid

    resident_a = ResidentFactory(owning_organisation=org_a)
    batch_a = VoucherBatchFactory(organisation=org_a)
    VoucherFactory(batch=batch_a)
    response = _same_answer(api_b.get("/api/v1/vouchers/", {"resident": str(resident_a.pk)}),
                            api_b.get("/api/v1/vouchers/", {"resident": str(uuid.uuid4())}))  # fmt: skip
    assert response.status_code == 200 and response.json()["count"] == 0
    _same_answer(api_b.get("/api/v1/vouchers/", {"batch": batch_a.pk}),
                 api_b.get("/api/v1/vouchers/", {"batch": 999_999}))  # fmt: skip


def test_voucher_filters_find_your_own(api_a, actor_a, org_a, resident_a):
    batch = VoucherBatchFactory(organisation=org_a)
    VoucherFactory.create_batch(2, batch=batch)
    VoucherFactory(batch__organisation=org_a)
    voucher = voucher_issue(actor=actor_a, resident=resident_a, kind="data_code")
    by_batch = api_a.get("/api/v1/vouchers/", {"batch": batch.pk}).json()
    assert by_batch["count"] == 2
    by_resident = api_a.get("/api/v1/vouchers/", {"resident": str(resident_a.pk)}).json()
    assert [row["id"] for row in by_resident["results"]] == [voucher.pk]
