"""Reads of the core data. Every read of residents goes through access.py's rule."""

import functools
import operator
import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import choices
from .access import VisibleResidents, residents_visible_q
from .choices import ConsentPurpose
from .models import CaseEvent, Consent, CrossOrganisationMatch, Membership, Organisation, Resident
from .validators import name_search_key, postcode_search_key, postcode_search_prefix

SEARCH_MIN_LENGTH = 2


def _phone_search_key(query: str) -> str | None:
    """'07911 123456' → '+447700900123'; a partial number → its E.164 prefix; None if not a phone."""
    digits = re.sub(r"[\s\-()]", "", query)
    if not re.fullmatch(r"\+?\d{4,15}", digits):
        return None
    if digits.startswith("+"):
        return digits
    if digits.startswith("0"):
        return "+44" + digits[1:]
    if digits.startswith("44"):
        return "+" + digits
    return None


def resident_postcode_condition(query: str) -> Q | None:
    """What a postcode search for `query` means (validators.postcode_search_prefix: WV1 is that district, not
    WV10), as a prefix of the postcode key; None if `query` is not a postcode or its start."""
    prefix = postcode_search_prefix(query)
    return None if prefix is None else Q(postcode_key__startswith=prefix)


NAME_KEYS = ("last_name_key", "first_name_key", "preferred_name_key", "last_name_part_key")


def resident_search_alternatives(query: str) -> list[Q] | None:
    """What a search for `query` means, as alternatives each of which one per-organisation prefix index serves
    alone (their OR is resident_search_condition): every word matches the start of a first, last or preferred
    name, or of the last part of a double-barrelled surname, with accents and punctuation forgiven (validators.
    name_search_key); several words also match as one name ('O Brien'). A postcode or phone number matches on its
    start. None when the query is too short.

    Alternatives, not one OR, so that access.VisibleResidents reads each from its covering index and merges them
    (a UNION): the matches of `smi` in a large council (14,500) are counted and sorted without reading a row of
    the table. Several words: the first word picks the index, the others are checked on the rows it finds."""
    query = " ".join((query or "").split())
    if len(query) < SEARCH_MIN_LENGTH:
        return None
    phone = _phone_search_key(query)
    if phone:
        return [Q(phone__startswith=phone)]
    if any(ch.isdigit() for ch in query):
        postcode = resident_postcode_condition(query)
        if postcode is not None:
            return [postcode]
    words = [key for key in (name_search_key(word) for word in query.split(" ")) if key]
    if not words:
        return None
    others = Q()
    for word in words[1:]:
        others &= _any_name_starts(word, NAME_KEYS)
    alternatives = [Q(**{f"{key}__startswith": words[0]}) & others for key in NAME_KEYS]
    if len(words) > 1:
        whole = "".join(words)
        alternatives += [Q(**{f"{key}__startswith": whole}) for key in NAME_KEYS[:3]]
    return alternatives


def _any_name_starts(word: str, keys) -> Q:
    condition = Q()
    for key in keys:
        condition |= Q(**{f"{key}__startswith": word})
    return condition


def resident_search_condition(query: str) -> Q | None:
    """The search for `query` as one condition (resident_search_alternatives, OR-ed); None when too short."""
    alternatives = resident_search_alternatives(query)
    return None if alternatives is None else functools.reduce(operator.or_, alternatives)


def resident_search(*, organisation: Organisation, query: str, limit: int = 50) -> list[Resident]:
    """The first `limit` residents, in name order, the organisation may see that match `query` (see
    resident_search_alternatives)."""
    alternatives = resident_search_alternatives(query)
    if alternatives is None:
        return []
    return VisibleResidents(organisation).page(limit=limit, search=alternatives)


def resident_list(*, organisation: Organisation) -> VisibleResidents:
    """The residents the organisation may see, to count and page through (access.VisibleResidents), with
    any filter applied inside each part of the rule."""
    return VisibleResidents(organisation)


def resident_timeline(*, resident: Resident) -> QuerySet[CaseEvent]:
    return resident.events.select_related("author", "organisation", "api_key").order_by("-occurred_at")


def resident_consents(*, resident: Resident) -> QuerySet[Consent]:
    return resident.consents.select_related("organisation", "recorded_by", "withdrawn_by").order_by(
        "withdrawn_at", "-given_at"
    )


def resident_still_to_ask(*, resident: Resident) -> list[dict]:
    """The questions left for later that nobody has asked yet: equality monitoring and the skills baseline,
    each as {"name", "url_name", "not_asked", "of"} when some of its questions are blank ("not asked")."""
    groups = [
        ("Equality monitoring", "resident-equality", choices.EQUALITY_FIELDS),
        ("Essential digital skills baseline", "resident-skills", tuple(choices.EDS_AREAS)),
    ]
    left = []
    for name, url_name, fields in groups:
        not_asked = sum(1 for field in fields if not getattr(resident, field))
        if not_asked:
            left.append({"name": name, "url_name": url_name, "not_asked": not_asked, "of": len(fields)})
    return left


def resident_notes(*, resident: Resident) -> QuerySet[CaseEvent]:
    return resident_timeline(resident=resident).filter(kind="note")


def resident_latest_answers(*, resident: Resident) -> dict[str, Consent]:
    """The resident's latest answer for each purpose asked: the current consent if there is one, else the
    latest refusal or withdrawal."""
    latest: dict[str, Consent] = {}
    for answer in Consent.objects.filter(resident=resident):
        held = latest.get(answer.purpose)
        if held is None or (not held.is_current and (answer.is_current or _answered_at(answer) > _answered_at(held))):
            latest[answer.purpose] = answer
    return latest


def _answered_at(answer: Consent):
    return answer.withdrawn_at or answer.given_at


def resident_contact_routes(resident: Resident) -> list[str]:
    """How the resident can be reached, to remind them of a loan: "phone", "email", "post" (an address
    needs its first line and a postcode)."""
    routes = []
    if resident.phone:
        routes.append("phone")
    if resident.email:
        routes.append("email")
    if resident.address_line_1.strip() and resident.postcode:
        routes.append("post")
    return routes


@dataclass
class Readiness:
    """What a resident has, and lacks, before a loan (processing consent and a contact route) or a voucher
    (processing consent): resident_readiness. `consent` is "given", "refused", "withdrawn" or "never";
    `consent_changed_on` is the day it was refused or withdrawn."""

    consent: str
    consent_changed_on: date | None
    contact_routes: list[str]

    @property
    def can_have_voucher(self) -> bool:
        return self.consent == "given"

    @property
    def can_borrow(self) -> bool:
        return self.can_have_voucher and bool(self.contact_routes)


def resident_readiness(*, resident: Resident) -> Readiness:
    """The resident's processing consent, as its latest answer stands, and their contact routes."""
    latest = resident_latest_answers(resident=resident).get(ConsentPurpose.PROCESSING)
    routes = resident_contact_routes(resident)
    if latest is None:
        return Readiness("never", None, routes)
    if latest.is_current:
        return Readiness("given", None, routes)
    if latest.refused:
        return Readiness("refused", timezone.localdate(latest.given_at), routes)
    return Readiness("withdrawn", timezone.localdate(latest.withdrawn_at), routes)


@dataclass
class PossibleDuplicate:
    """A record that may be the same person.

    `resident` (with `reasons`) only when the organisation may see that record. For another organisation's
    record, `organisation_name` is that organisation only when the person has a current consent to sharing
    with partners; otherwise None ("may already be known to another partner"). `matched_id` and
    `owning_organisation_id` are for the match log (services.resident_duplicate_check), never for pages."""

    matched_id: object
    owning_organisation_id: int
    reasons: list[str] = field(default_factory=list)
    resident: Resident | None = None
    organisation_name: str | None = None
    organisation_slug: str | None = None
    matched_reasons: list[str] = field(default_factory=list)  # why it matched, whether shown or not


def _name_key(value: str) -> str:
    return re.sub(r"[^a-z]", "", (value or "").lower())


def names_similar(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Same or nearly the same surname, and first names alike (or one an initial of the other);
    swapped first and last names count too."""

    def close(a, b, threshold):
        return bool(a and b) and (a == b or SequenceMatcher(None, a, b).ratio() >= threshold)

    def first_close(a, b):
        return close(a, b, 0.75) or (bool(a and b) and (a.startswith(b) or b.startswith(a)))

    fa, la, fb, lb = map(_name_key, (first_a, last_a, first_b, last_b))
    return (close(la, lb, 0.8) and first_close(fa, fb)) or (close(fa, lb, 0.8) and close(la, fb, 0.8))


STRONG_REASONS = frozenset({"same date of birth and a similar name", "same phone number", "same email address"})


def resident_possible_duplicates(
    *,
    organisation: Organisation,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    phone: str = "",
    email: str = "",
    postcode: str = "",
    exclude_pk=None,
) -> list[PossibleDuplicate]:
    """Records anywhere in the scheme that may be this person, every one (for the match log; pages show
    possible_duplicates_shown of them).

    Records the organisation may see match on the same date of birth and a similar name, the same phone or
    email, or the same postcode and a similar name, and are named with their reasons. Another organisation's
    records match only on strong evidence (date of birth with a similar name, the same phone or email), and
    say nothing of the person; their organisation is named only when the person has a current consent to
    sharing with partners."""
    candidates_q = Q()
    if date_of_birth:
        candidates_q |= Q(date_of_birth=date_of_birth)
    if phone:
        candidates_q |= Q(phone=str(phone))
    if email:
        candidates_q |= Q(email_key=email.strip().lower())
    if postcode:
        candidates_q |= Q(postcode_key=postcode_search_key(postcode))
    if not candidates_q:
        return []
    candidates = Resident.objects.filter(candidates_q).select_related("owning_organisation")
    if exclude_pk:
        candidates = candidates.exclude(pk=exclude_pk)
    candidates = list(candidates[:500])
    visible_ids = set(
        Resident.objects.filter(candidates_q).filter(residents_visible_q(organisation)).values_list("pk", flat=True)
    )
    sharing_ids = set(
        Consent.objects.current()
        .filter(purpose=ConsentPurpose.SHARING, resident__in=[c.pk for c in candidates if c.pk not in visible_ids])
        .values_list("resident_id", flat=True)
    )
    matches = []
    for candidate in candidates:
        similar = names_similar(first_name, last_name, candidate.first_name, candidate.last_name) or (
            candidate.preferred_name
            and names_similar(first_name, last_name, candidate.preferred_name, candidate.last_name)
        )
        reasons = []
        if date_of_birth and candidate.date_of_birth == date_of_birth and similar:
            reasons.append("same date of birth and a similar name")
        if phone and str(candidate.phone) == str(phone):
            reasons.append("same phone number")
        if email and candidate.email.lower() == email.strip().lower():
            reasons.append("same email address")
        if postcode and candidate.postcode_key == postcode_search_key(postcode) and similar:
            reasons.append("same postcode and a similar name")
        visible = candidate.pk in visible_ids
        named = visible or candidate.pk in sharing_ids
        if not visible:
            reasons = [reason for reason in reasons if reason in STRONG_REASONS]
        if not reasons:
            continue
        matches.append(
            PossibleDuplicate(
                matched_id=candidate.pk,
                owning_organisation_id=candidate.owning_organisation_id,
                reasons=reasons if visible else [],
                resident=candidate if visible else None,
                organisation_name=candidate.owning_organisation.name if named else None,
                organisation_slug=candidate.owning_organisation.slug if named else None,
                matched_reasons=reasons,
            )
        )
    return sorted(matches, key=lambda m: (m.resident is None, m.organisation_name is None))


def possible_duplicates_shown(matches: list[PossibleDuplicate]) -> list[PossibleDuplicate]:
    """What a page or response shows of the matches: every record the organisation may see; one line per
    other organisation that may be named; one line for all the others ("known to another partner")."""
    seen, shown = set(), []
    for match in matches:
        if match.resident is None:
            if match.organisation_name in seen:
                continue
            seen.add(match.organisation_name)
        shown.append(match)
    return shown


def memberships_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, active=True, organisation__active=True).select_related("organisation")


def organisation_list(*, active_only: bool = True) -> QuerySet[Organisation]:
    qs = Organisation.objects.all()
    return qs.filter(active=True) if active_only else qs


DASHBOARD_FIGURES_SECONDS = 60


def dashboard_figures(*, organisation: Organisation) -> dict:
    """Counts for the home page; numbers only, so any role may see them. Kept for a minute (in the cache, per
    organisation): counting a large council's 150,000 residents on every visit to the home page took 130 ms."""
    key = f"dashboard-figures:{organisation.pk}:{timezone.localdate():%Y-%m}"
    figures = cache.get(key)
    if figures is None:
        figures = _dashboard_figures(organisation)
        cache.set(key, figures, DASHBOARD_FIGURES_SECONDS)
    return figures


def _dashboard_figures(organisation: Organisation) -> dict:
    start_of_month = timezone.localdate().replace(day=1)
    own = Resident.objects.filter(owning_organisation=organisation)
    figures = own.aggregate(
        residents=Count("pk"),
        registered_this_month=Count("pk", filter=Q(created_at__date__gte=start_of_month)),
        needing_device=Count("pk", filter=Q(needs_device=True)),
        needing_connectivity=Count("pk", filter=Q(needs_connectivity=True)),
        needing_skills=Count("pk", filter=Q(needs_skills=True)),
    )
    figures["active_staff"] = Membership.objects.filter(organisation=organisation, active=True).count()
    return figures


def recent_notes(*, organisation: Organisation, limit: int = 10) -> QuerySet[CaseEvent]:
    """The organisation's latest case notes, on residents it can still see."""
    return (
        CaseEvent.objects.filter(organisation=organisation, kind="note")
        .filter(residents_visible_q(organisation, through="resident"))
        .select_related("resident", "author")
        .order_by("-occurred_at")[:limit]
    )


def cross_organisation_matches(*, organisation: Organisation) -> QuerySet[CrossOrganisationMatch]:
    """Possible-duplicate checks by other organisations that matched this organisation's residents, newest
    first (the coordinators' match log)."""
    return (
        CrossOrganisationMatch.objects.filter(
            owning_organisation=organisation, resident__owning_organisation=organisation
        )
        .select_related("resident", "organisation", "user", "api_key")
        .order_by("-checked_at", "-id")
    )


# What the scheme holds about a resident (subject access): each app registers its part (inclusion.registry).


def resident_export_details(resident: Resident) -> dict:
    from .services import RESIDENT_FIELDS

    details = {field: getattr(resident, field) for field in RESIDENT_FIELDS}
    details["phone"] = str(details["phone"] or "")
    details["date_of_birth"] = details["date_of_birth"].isoformat() if details["date_of_birth"] else None
    return {"id": str(resident.pk), "owning_organisation": resident.owning_organisation.name,
            "registered_at": resident.created_at.isoformat(), **details}  # fmt: skip


def resident_export_consents(resident: Resident) -> list[dict]:
    return [
        {"purpose": consent.purpose, "answer": "refused" if consent.refused else "given",
         "wording_version": consent.wording_version, "channel": consent.channel,
         "organisation": consent.organisation.name, "given_at": consent.given_at.isoformat(),
         "withdrawn_at": consent.withdrawn_at.isoformat() if consent.withdrawn_at else None}
        for consent in resident_consents(resident=resident)
    ]  # fmt: skip


def resident_export_timeline(resident: Resident) -> list[dict]:
    return [
        {"kind": event.kind, "what": event.kind_label, "summary": event.summary, "note": event.body,
         "by": event.author_label, "organisation": event.organisation.name, "at": event.occurred_at.isoformat()}
        for event in resident_timeline(resident=resident)
    ]  # fmt: skip


def resident_subject_access(*, resident: Resident) -> dict:
    """Everything the scheme holds about a resident, from every app (UK GDPR subject access): a JSON-ready
    dict keyed by each registered part's name. Codes and secrets come masked."""
    from .registry import resident_data_providers

    return {data.name: data.export(resident) for data in resident_data_providers()}


def residents_messageable_q() -> Q:
    """The condition on Resident for anyone a reminder or message may go to: not restricted (UK GDPR Art. 18,
    services.resident_restriction_set). Every sender filters its recipients with it."""
    return Q(restricted_at__isnull=True)
