"""The upload → preview → confirm flow every import uses (inclusion/imports.py), shown with a made-up importer of
its own, so that nothing here depends on an app: problems listed by line and nothing kept, a preview that keeps the
upload and its form, a confirmation that checks again and imports once, all or nothing."""

import copy

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import RequestFactory

from inclusion.errors import DomainError
from inclusion.imports import (
    ImportCheck,
    Importer,
    ImportRefused,
    Problem,
    choice_lookup,
    choice_names,
    columns_find,
    import_confirm,
    import_upload,
    row_values,
    sheet_read,
)

from ..factories import MembershipFactory

pytestmark = pytest.mark.django_db

TEMPLATES = {
    "upload.html": "UPLOAD{% for e in form.file.errors %} file-error:{{ e }}{% endfor %}"
    "{% for e in form.colour.errors %} colour-error:{{ e }}{% endfor %}{% if rechecked %} rechecked{% endif %}"
    "{% for p in check.problems %} problem:{{ p.line }}:{{ p.message }}{% endfor %}",
    "preview.html": "PREVIEW {{ check.filename }} rows:{{ check.rows|length }} bad:{{ check.bad_rows }} "
    "token:{{ token }}{% if rechecked %} rechecked{% endif %} colour:{{ colour }}"
    "{% for p in check.problems %} problem:{{ p.line }}:{{ p.message }}{% endfor %}",
}


@pytest.fixture(autouse=True)
def templates(settings):
    engines = copy.deepcopy(settings.TEMPLATES)
    engines[0]["APP_DIRS"] = False
    engines[0]["OPTIONS"]["loaders"] = [("django.template.loaders.locmem.Loader", TEMPLATES)]
    settings.TEMPLATES = engines


class ColourForm(forms.Form):
    file = forms.FileField()
    colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")])


class WordImporter(Importer):
    """Imports the words of a text file, one a line; "bad" is a bad word, and words already taken are refused."""

    purpose = "tests:words"
    form_class = ColourForm
    upload_template = "upload.html"
    preview_template = "preview.html"
    upload_url = "/words/"

    def __init__(self):
        self.imported, self.taken, self.checks = [], set(), 0

    def check(self, request, form, *, filename, content):
        self.checks += 1
        if self.checks > 5:
            raise DomainError("Too many checks this hour", field="file", code="rate_limited")
        check = ImportCheck(filename=filename)
        lines = content.decode().split()
        if not lines:
            check.file_error = "The file has no words in it"
        for line, word in enumerate(lines, start=1):
            if word == "bad" or word in self.taken:
                check.problems.append(Problem(line, "", f"“{word}” cannot be imported"))
            check.rows.append(word)
        return check

    def confirm(self, request, form, *, filename, content):
        check = self.check(request, form, filename=filename, content=content)
        if not check.ok:
            raise ImportRefused(check)
        self.imported += [(word, form.cleaned_data["colour"]) for word in check.rows]
        return len(check.rows)

    def done(self, request, result, *, filename):
        return HttpResponse(f"DONE {result} from {filename}")

    def preview_context(self, request, form, check):
        return {"colour": form.cleaned_data["colour"]}


class UploadPageImporter(WordImporter):
    problems_on_upload_page = True


@pytest.fixture
def membership(org_a):
    return MembershipFactory(organisation=org_a)


def _request(membership, data=None, files=None):
    request = RequestFactory().post("/words/", data or {}) if data is not None else RequestFactory().get("/words/")
    if files:
        request.FILES.update(files)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user, request.membership = membership.user, membership
    return request


def upload(importer, membership, text: str, colour="red"):
    files = {"file": SimpleUploadedFile("words.txt", text.encode())}
    return import_upload(_request(membership, {"colour": colour}, files), importer)


def token_of(response) -> str:
    return response.content.decode().split("token:")[1].split()[0]


def test_the_upload_page_shows_the_form(membership):
    assert import_upload(_request(membership), WordImporter()).content.decode() == "UPLOAD"


def test_every_bad_line_is_listed_and_nothing_is_kept_or_imported(membership):
    importer = WordImporter()
    response = upload(importer, membership, "apple\nbad\npear\nbad")
    page = response.content.decode()
    assert page.startswith("PREVIEW words.txt rows:4 bad:2 token: ")
    assert "problem:2:“bad” cannot be imported problem:4:“bad” cannot be imported" in page
    assert importer.imported == []


def test_problems_can_be_shown_on_the_upload_page_with_the_form(membership):
    page = upload(UploadPageImporter(), membership, "bad").content.decode()
    assert page.startswith("UPLOAD file-error:words.txt has 1 problem: nothing has been imported. Correct the file")
    assert "problem:1:“bad” cannot be imported" in page


def test_a_file_that_cannot_be_read_and_a_refusal_go_on_the_form(membership):
    importer = WordImporter()
    assert upload(importer, membership, "").content.decode() == "UPLOAD file-error:The submitted file is empty."
    assert upload(importer, membership, " \n ").content.decode() == "UPLOAD file-error:The file has no words in it"
    importer.checks = 6
    assert upload(importer, membership, "apple").content.decode() == "UPLOAD file-error:Too many checks this hour"
    invalid = upload(importer, membership, "apple", colour="green").content.decode()
    assert invalid.startswith("UPLOAD colour-error:Select a valid choice")


def test_a_good_file_is_previewed_then_imported_once_with_the_form_it_came_with(membership):
    importer = WordImporter()
    preview = upload(importer, membership, "apple\npear", colour="blue")
    assert "rows:2 bad:0" in preview.content.decode() and "colour:blue" in preview.content.decode()
    assert importer.imported == []
    token = token_of(preview)
    done = import_confirm(_request(membership, {"token": token}), importer)
    assert done.content.decode() == "DONE 2 from words.txt"
    assert importer.imported == [("apple", "blue"), ("pear", "blue")]

    request = _request(membership, {"token": token})
    again = import_confirm(request, importer)  # the upload was claimed: a second press imports nothing
    assert again.status_code == 302 and again.url == "/words/"
    assert "expired or was already imported" in str(list(get_messages(request))[0])
    assert len(importer.imported) == 2


def test_only_the_person_who_uploaded_can_confirm(membership, org_a):
    importer = WordImporter()
    token = token_of(upload(importer, membership, "apple"))
    colleague = MembershipFactory(organisation=org_a)
    assert import_confirm(_request(colleague, {"token": token}), importer).status_code == 302
    assert importer.imported == []
    assert import_confirm(_request(membership, {"token": token}), importer).status_code == 200
    assert importer.imported == [("apple", "red")]


def test_what_changed_since_the_preview_is_shown_and_nothing_is_imported(membership):
    importer = WordImporter()
    token = token_of(upload(importer, membership, "apple\npear"))
    importer.taken.add("pear")  # someone else imported it meanwhile
    page = import_confirm(_request(membership, {"token": token}), importer).content.decode()
    assert page.startswith("PREVIEW words.txt rows:2 bad:1 token: rechecked")
    assert "problem:2:“pear” cannot be imported" in page and importer.imported == []


def test_a_refusal_on_confirming_goes_back_to_the_upload_page_or_with_a_message(membership):
    importer = UploadPageImporter()
    token = token_of(upload(importer, membership, "apple"))
    importer.checks = 5
    page = import_confirm(_request(membership, {"token": token}), importer).content.decode()
    assert page == "UPLOAD file-error:Too many checks this hour rechecked"

    importer = WordImporter()
    token = token_of(upload(importer, membership, "apple"))
    importer.checks = 5
    request = _request(membership, {"token": token})
    response = import_confirm(request, importer)
    assert response.status_code == 302 and str(list(get_messages(request))[0]) == "Too many checks this hour"


def test_a_refusal_names_the_file_and_how_many_problems():
    check = ImportCheck(filename="stock.csv", rows=["a"], problems=[Problem(2, "kind", "x"), Problem(3, "kind", "y")])
    refused = ImportRefused(check)
    assert (refused.message, refused.field, refused.code) == (
        "stock.csv has 2 problems, so nothing was imported.", "file", "import_refused"
    )  # fmt: skip
    assert ImportRefused(ImportCheck(filename="x.csv", file_error="The selected file is empty")).message == (
        "The selected file is empty"
    )
    assert not ImportCheck(filename="x.csv").ok and ImportCheck(filename="x.csv", rows=["a"]).ok


def test_redirect_is_what_a_done_usually_returns(membership):
    # The importer decides where to go after an import; the flow passes its answer straight back.
    class Redirecting(WordImporter):
        def done(self, request, result, *, filename):
            return redirect("/words/done/")

    importer = Redirecting()
    token = token_of(upload(importer, membership, "apple"))
    assert import_confirm(_request(membership, {"token": token}), importer).url == "/words/done/"


# The helpers every importer reads its columns with


def test_columns_are_found_in_any_order_and_capitals_and_every_odd_heading_is_named():
    problems = []
    columns = columns_find(1, ["Colour", " NAME ", "", "code", "Name", "Price"], known=("code", "name", "size"),
                           required={"size": "There is no size column", "code": "never said"},
                           problems=problems)  # fmt: skip
    assert columns.positions == {"name": 1, "code": 3} and columns.unnamed == [2]
    assert problems == [
        Problem(1, "Colour", "Unknown column “Colour”. The columns are: code, name, size"),
        Problem(1, "name", "There are two name columns"),
        Problem(1, "Price", "Unknown column “Price”. The columns are: code, name, size"),
        Problem(1, "size", "There is no size column"),
    ]


def test_a_rows_values_are_trimmed_and_a_nul_or_a_value_without_a_heading_is_a_problem():
    problems = []
    columns = columns_find(1, ["code", "", "name"], known=("code", "name", "size"), required={}, problems=problems)
    assert row_values(2, [" A-1 ", "", "x"], columns, names=("code", "name", "size"), problems=problems) == {
        "code": "A-1", "name": "x", "size": ""}  # fmt: skip
    assert problems == []
    values = row_values(3, ["A\x002", "stray", " "], columns, names=("code", "name"), problems=problems)
    assert values == {"code": "A2", "name": ""}
    assert [(p.line, p.column) for p in problems] == [(3, "code"), (3, "")]
    assert problems[0].message.startswith("Contains a NUL character")
    assert problems[1].message == "Column 2 has a value but no heading"


def test_a_choice_is_read_as_people_write_it_and_named_in_a_sentence():
    class Fit(models.TextChoices):
        AS_NEW = "as_new", "As new"
        FAIR = "fair", "Fair: marks or wear"
        POOR = "poor", "Poor"

    lookup = choice_lookup(Fit)
    assert lookup["as_new"] == lookup["as new"] == "as_new" and "As new" not in lookup  # lower case only
    assert lookup["fair"] == lookup["fair: marks or wear"] == "fair" and "Fair" not in lookup
    assert choice_names(Fit) == "As new, Fair or Poor"


def test_a_sheet_is_read_with_its_columns_or_the_file_error_says_why():
    limits = {"known": ("code", "name"), "required": {"code": "No code column"}, "row_name": "codes",
              "max_bytes": 1024, "max_rows": 10, "max_columns": 5}  # fmt: skip
    check = ImportCheck(filename="codes.csv")
    columns, rows = sheet_read(check, b"Name,colour\nAda,red\n", **limits)
    assert columns.positions == {"name": 0} and rows == [(2, ["Ada", "red"])]
    assert [p.message for p in check.problems][1] == "No code column" and not check.file_error
    empty = ImportCheck(filename="codes.csv")
    assert sheet_read(empty, b"code,name\n", **limits) is None
    assert empty.file_error == "The selected file has a heading row but no codes under it"
    unreadable = ImportCheck(filename="codes.pdf")
    assert sheet_read(unreadable, b"%PDF-1.4", **limits) is None and unreadable.file_error
