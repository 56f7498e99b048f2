"""Each app's report sections come through inclusion/registry.py, each figure defined once."""

from inclusion import registry
from inclusion.reports.definitions import Metric, Table, code_list_version


def test_the_core_and_each_app_register_their_sections_in_order():
    assert [section.key for section in registry.report_sections()] == [
        "reach", "devices", "connectivity", "referrals", "skills", "outcomes",
    ]  # fmt: skip


def test_every_figure_and_breakdown_is_defined_once_in_words():
    keys = []
    for section in registry.report_sections():
        for item in (*section.metrics, *section.tables):
            assert isinstance(item, Metric | Table)
            assert item.definition.endswith(".") and len(item.definition) > 20, item.key
            keys.append(item.key)
        for metric in section.metrics:
            if metric.basis:
                assert metric.basis in {m.key for m in section.metrics}, metric.key
    assert len(keys) == len(set(keys))


def test_a_code_lists_version_changes_with_its_codes_or_labels():
    first = code_list_version({"a": "Apple", "b": "Banana"})
    assert code_list_version({"b": "Banana", "a": "Apple"}) == first
    assert code_list_version({"a": "Apple", "b": "Bananas"}) != first
    assert code_list_version({"a": "Apple"}) != first


def test_a_section_registered_by_a_new_app_is_in_the_report(world):
    import datetime as dt

    from inclusion.reports.build import report_build

    section = registry.ReportSection(
        key="libraries", title="Library sessions", order=70,
        compute=lambda ctx: {"metrics": {"sessions": 7}},
        metrics=(Metric("sessions", "Sessions held", "Drop-in sessions held in the period."),),
    )  # fmt: skip
    registry.register_report_section(section)
    try:
        report = report_build(start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1), organisation=world["a"],
                              viewer=world["a"])  # fmt: skip
    finally:
        registry.unregister_report_section("libraries")
    libraries = report["sections"][-1]
    assert (libraries["title"], libraries["metrics"][0]["display"]) == ("Library sessions", "7")
