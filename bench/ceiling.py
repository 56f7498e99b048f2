"""The ceiling for the resident list and search: the best hand-written SQL found for the same rows as the API
(same access rule, order, page and count), served by a minimal WSGI app (psycopg, json; no Django, no DRF).
bench/run.py serves it with gunicorn like the app, and reports the app's throughput as a ratio of this.

    GET /residents?org=<organisation id>[&q=smi|&postcode=B12]   → {"count", "results": [50 residents]}

The SQL: the organisation's open loans' residents once (index-only on open_loan_org_resident), less its own;
its own residents from (organisation, last name, first name, id) for the list, from the prefix indexes for
a search; the count exact up to 10,000; a page of 50 merged in name order; the page's rows with their
organisation's slug. Searches here take one word (all the benchmark sends).
"""

import json
import os
from urllib.parse import parse_qs

import psycopg

COLUMNS = (
    "r.id, o.slug AS owning_organisation, r.first_name, r.last_name, r.preferred_name, r.date_of_birth, r.age_band, "
    "r.phone, r.email, r.address_line_1, r.address_line_2, r.town, r.postcode, r.local_authority, "
    "r.preferred_contact_method, r.preferred_language, r.accessibility_needs, r.gender, r.ethnicity, r.disability, "
    "r.employment_status, r.low_income, r.carer, r.needs_device, r.needs_connectivity, r.needs_skills, "
    "r.eds_foundation, r.eds_communicating, r.eds_handling_information, r.eds_transacting, r.eds_problem_solving, "
    "r.eds_being_safe, r.referral_source, r.referral_source_detail, r.created_at, r.updated_at"
)
NAME = (
    "(last_name_key LIKE %(prefix)s OR first_name_key LIKE %(prefix)s OR preferred_name_key LIKE %(prefix)s "
    "OR last_name_part_key LIKE %(prefix)s)"
)
POSTCODE = "postcode_key LIKE %(prefix)s"

QUERY = """
WITH loan_links AS MATERIALIZED (
    SELECT resident_id FROM devices_loan WHERE organisation_id = %(org)s AND closed_at IS NULL
), linked AS MATERIALIZED (
    SELECT r.id, r.last_name, r.first_name FROM inclusion_resident r
    WHERE r.id IN (SELECT resident_id FROM loan_links) AND r.owning_organisation_id <> %(org)s AND {match}
), own AS MATERIALIZED (
    {own}
), page AS (
    SELECT id, last_name, first_name FROM (
        ({own_page}) UNION ALL (SELECT id, last_name, first_name FROM linked ORDER BY last_name, first_name, id LIMIT 50)
    ) p ORDER BY last_name, first_name, id LIMIT 50
)
SELECT (SELECT count(*) FROM own) + (SELECT count(*) FROM linked) AS total, {columns}
FROM page JOIN inclusion_resident r ON r.id = page.id JOIN inclusion_organisation o ON o.id = r.owning_organisation_id
ORDER BY page.last_name, page.first_name, page.id
"""
OWN_LIST = "SELECT id FROM inclusion_resident WHERE owning_organisation_id = %(org)s LIMIT 10001"
OWN_LIST_PAGE = (
    "SELECT id, last_name, first_name FROM inclusion_resident WHERE owning_organisation_id = %(org)s "
    "ORDER BY last_name, first_name, id LIMIT 50"
)
OWN_SEARCH = (
    "SELECT id, last_name, first_name FROM inclusion_resident WHERE owning_organisation_id = %(org)s AND {match}"
)
OWN_SEARCH_PAGE = "SELECT id, last_name, first_name FROM own ORDER BY last_name, first_name, id LIMIT 50"

_connection = None


def connection():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["CEILING_DSN"], autocommit=True)
    return _connection


def residents(org: int, q: str | None, postcode: str | None) -> dict:
    if q or postcode:
        match = NAME if q else POSTCODE
        prefix = (q.lower() if q else postcode.upper() + " ") + "%"
        sql = QUERY.format(match=match, own=OWN_SEARCH.format(match=match), own_page=OWN_SEARCH_PAGE, columns=COLUMNS)
    else:
        prefix = None
        sql = QUERY.format(match="true", own=OWN_LIST, own_page=OWN_LIST_PAGE, columns=COLUMNS)
    with connection().cursor() as cursor:
        cursor.execute(sql, {"org": org, "prefix": prefix})
        names = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    total = rows[0][0] if rows else 0
    results = [dict(zip(names[1:], row[1:], strict=True)) for row in rows]
    return {"count": min(total, 10_000), "results": results}


def application(environ, start_response):
    if environ["PATH_INFO"].rstrip("/") != "/residents":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    body = json.dumps(residents(int(query["org"]), query.get("q"), query.get("postcode")), default=str).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
