"""Small numbers outside the owning organisation: "<5", secondary suppression, and attacks that try to get a
suppressed cell back from totals, from the other cells, and from the difference between two reports."""

import itertools
import random

import pytest

from inclusion.reports.build import report_build
from inclusion.reports.suppression import LESS_THAN_5, WITHHELD, suppress_table

from ..devices.vouchers.factories import VoucherBatchFactory, VoucherFactory
from ..factories import OrganisationFactory, ResidentFactory
from .conftest import MARCH, at


def feasible_values(shown: dict[str, str], total: int, cell: str) -> set[int]:
    """What an attacker who knows the rules can say `cell` is: "<5" cells are 1 to 4, "[c]" cells 5 or more
    (or, when every hidden cell is "[c]", 1 or more), and the hidden cells add up to the total minus the rest."""
    hidden = [code for code, text in shown.items() if not text.isdigit()]
    alike = all(shown[code] == WITHHELD for code in hidden)
    hidden_sum = total - sum(int(text) for text in shown.values() if text.isdigit())

    def bounds(code):
        if shown[code] == LESS_THAN_5:
            return 1, 4
        return (1, hidden_sum) if alike else (5, hidden_sum)

    others = [bounds(code) for code in hidden if code != cell]
    low, high = bounds(cell)
    return {
        value
        for value in range(low, high + 1)
        if sum(b[0] for b in others) <= hidden_sum - value <= sum(b[1] for b in others)
    }


def test_a_lone_small_cell_is_shown_as_less_than_5_and_another_cell_hidden_with_it():
    shown = suppress_table({"woman": 30, "man": 12, "non_binary": 2, "prefer_not_to_say": 0})
    assert shown == {"woman": "30", "man": WITHHELD, "non_binary": LESS_THAN_5, "prefer_not_to_say": "0"}
    assert feasible_values(shown, 44, "non_binary") == {1, 2, 3, 4}


def test_a_secondary_cell_of_exactly_5_is_not_enough():
    # With "<5" = 1 and "[c]" = 5, knowing that a "[c]" is at least 5 would give the 1 back.
    shown = suppress_table({"a": 1, "b": 5, "c": 5, "d": 40})
    assert shown == {"a": LESS_THAN_5, "b": "5", "c": "5", "d": WITHHELD}
    assert feasible_values(shown, 51, "a") == {1, 2, 3, 4}


def test_no_suppressed_cell_can_be_worked_out_from_the_total_in_thousands_of_random_breakdowns():
    rng = random.Random(11)
    for _ in range(3000):
        values = {f"c{i}": rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 14, 30]) for i in range(rng.randint(2, 7))}
        shown = suppress_table(values)
        total = sum(values.values())
        for code, value in values.items():
            if 1 <= value <= 4:
                assert shown[code] in (LESS_THAN_5, WITHHELD), values
            if shown[code] in (LESS_THAN_5, WITHHELD) and total >= 5:
                assert len(feasible_values(shown, total, code)) >= 2, (values, shown)
            if shown[code] == LESS_THAN_5 and total >= 5:
                assert feasible_values(shown, total, code) == {1, 2, 3, 4}, (values, shown)


def test_a_cell_whose_difference_from_a_related_report_is_small_is_suppressed():
    # The scheme has 23 women; this local authority 20: the other 3 would be the difference.
    shown = suppress_table({"woman": 20, "man": 15, "not_recorded": 9}, related=[{"woman": 23, "man": 15}])
    assert shown["woman"] == LESS_THAN_5 and list(shown.values()).count(WITHHELD) >= 1
    assert feasible_values(shown, 44, "woman") != {20}


@pytest.fixture
def two_places(db):
    """Alpha (Wolverhampton) issued vouchers to 20 women and 10 men there; Beta (Dudley) to 3 women and 12 men;
    Gamma, the scheme lead, reads."""
    alpha = OrganisationFactory(name="Alpha Council", slug="alpha", local_authority="wolverhampton")
    beta = OrganisationFactory(name="Beta Works", slug="beta", local_authority="dudley")
    gamma = OrganisationFactory(name="Gamma Lead", slug="gamma", is_scheme_lead=True)
    for organisation, place, women, men in ((alpha, "wolverhampton", 20, 10), (beta, "dudley", 3, 12)):
        batch = VoucherBatchFactory(organisation=organisation)
        for gender, count in (("woman", women), ("man", men)):
            for person in ResidentFactory.create_batch(count, owning_organisation=organisation, gender=gender,
                                                       local_authority=place):  # fmt: skip
                VoucherFactory(batch=batch, status="issued", resident=person, issued_at=at("2026-03-10"))
    return alpha, beta, gamma


def _cells(report, key):
    table = next(t for s in report["sections"] for t in s["tables"] if t["key"] == key)
    return {row["code"]: row["display"] for row in table["rows"]}, table


def _metric(report, key):
    return next(m for s in report["sections"] for m in s["metrics"] if m["key"] == key)


def test_the_owner_sees_its_own_small_numbers(two_places):
    alpha, beta, _ = two_places
    cells, _ = _cells(report_build(start=MARCH[0], end=MARCH[1], organisation=beta, viewer=beta), "supported_by_gender")
    assert cells["woman"] == "3"


def test_another_organisation_sees_less_than_5_with_a_second_cell_hidden(two_places):
    alpha, beta, gamma = two_places
    report = report_build(start=MARCH[0], end=MARCH[1], organisation=beta, viewer=gamma)
    cells, table = _cells(report, "supported_by_gender")
    assert cells["woman"] == LESS_THAN_5 and cells["man"] == WITHHELD
    assert table["total_display"] == "15" and report["header"]["suppressed"] is True
    assert feasible_values(cells, 15, "woman") == {1, 2, 3, 4}
    assert "3" not in [row["display"] for row in table["rows"]]


def test_the_difference_attack_between_the_scheme_and_one_local_authority_gets_nothing(two_places):
    alpha, beta, gamma = two_places
    scheme, _ = _cells(report_build(start=MARCH[0], end=MARCH[1], viewer=gamma), "supported_by_gender")
    wolverhampton, _ = _cells(
        report_build(start=MARCH[0], end=MARCH[1], local_authority="wolverhampton", viewer=gamma), "supported_by_gender"
    )
    assert scheme["woman"] == "23"  # 3 are outside Wolverhampton...
    assert not wolverhampton["woman"].isdigit()  # ...which 23 minus Wolverhampton's would have said
    for code in ("woman", "man"):
        if scheme[code].isdigit() and wolverhampton[code].isdigit():
            assert not 1 <= int(scheme[code]) - int(wolverhampton[code]) <= 4


def test_a_partner_cannot_subtract_its_own_figures_from_the_schemes(two_places):
    alpha, beta, gamma = two_places
    # Alpha knows its own 20 women exactly: the scheme's 23 would give away Beta's 3.
    scheme, table = _cells(report_build(start=MARCH[0], end=MARCH[1], viewer=alpha), "supported_by_gender")
    own, _ = _cells(report_build(start=MARCH[0], end=MARCH[1], organisation=alpha, viewer=alpha), "supported_by_gender")
    assert own["woman"] == "20" and not scheme["woman"].isdigit()
    assert feasible_values(scheme, 45, "woman") != {23}
    assert len(feasible_values(scheme, 45, "woman")) >= 4


def test_small_headline_counts_and_averages_on_them_are_withheld_from_others(world):
    report = report_build(start=MARCH[0], end=MARCH[1], organisation=world["a"], viewer=world["b"])
    assert (
        _metric(report, "devices_lent")["display"] == LESS_THAN_5 and _metric(report, "devices_lent")["value"] is None
    )
    assert _metric(report, "average_loan_days")["display"] == WITHHELD  # one loan closed: it would be its length
    assert _metric(report, "devices_lent")["change_display"] == "–"
    lent = next(s for s in report["trend"]["series"] if s["key"] == "devices_lent")
    assert lent["display"][-1] == LESS_THAN_5 and lent["values"][-1] is None


def test_no_report_lists_a_person(world):
    import json

    from inclusion.models import Resident

    # Names no label could contain (a random "Scott" is in the ethnic group "...Scottish...").
    for n, person in enumerate(world["residents"]):
        Resident.objects.filter(pk=person.pk).update(first_name=f"Qzfirst{n}", last_name=f"Qzlast{n}")
        person.refresh_from_db()
    report = report_build(start=MARCH[0], end=MARCH[1], viewer=world["b"])
    text = json.dumps(report)
    for person in world["residents"]:
        for detail in (person.first_name, person.last_name, str(person.pk), person.email):
            assert detail not in text


def test_every_combination_of_two_small_cells_keeps_both_hidden():
    for a, b in itertools.product(range(1, 5), repeat=2):
        shown = suppress_table({"x": a, "y": b, "z": 20, "w": 7})
        assert feasible_values(shown, a + b + 27, "x") == {1, 2, 3, 4}
        assert feasible_values(shown, a + b + 27, "y") == {1, 2, 3, 4}
