"""One pagination for every list: ?page=N&page_size=M (M from 1 to 200, 50 when not given).

A page_size or page that is not a whole number in range is a 400 naming it, rather than a quiet fallback
to the default (or a 404 that reads like "no such list"); a page past the end is still a 404.
"""

from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


def positive_int(request, name: str, *, maximum: int | None = None) -> int | None:
    """The query parameter `name` as a whole number from 1 (to `maximum`), None if absent; else a 400."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    within = f" from 1 to {maximum}" if maximum else " from 1"
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= (maximum or int(raw)):
        raise ValidationError({name: [f"Give a whole number{within}."]}, code="invalid")
    return int(raw)


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        return positive_int(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        positive_int(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size,
                                       "default": self.page_size}  # fmt: skip
        return parameters


class CappedPagination(StandardPagination):
    """Pages of a list too large to count on every request (the residents a large council sees): `count` is
    exact up to MAX_RESULTS, and `count_is_exact` says whether it is; pages reach no further than the first
    MAX_RESULTS rows (422 `too_deep` beyond: narrow the list with its filters instead). Counting and paging
    stay on the indexes however many rows there are (access.VisibleResidents)."""

    MAX_RESULTS = 10_000
    TOO_DEEP = (
        "Pages reach only the first {max:,} results: narrow the list with its filters (q, postcode, "
        "registered_after, updated_after...) rather than paging further."
    )

    def paginate_visible(self, visible, refine, request, *, search=None) -> list:
        """This request's page of `visible` (an access.VisibleResidents), each part refined by `refine` (`search`:
        a name, postcode or phone search as alternatives, read from their own indexes: see VisibleResidents.page)."""
        self.request = request
        self.page_size = self.get_page_size(request)
        self.page_number = positive_int(request, self.page_query_param) or 1
        offset = (self.page_number - 1) * self.page_size
        if offset >= self.MAX_RESULTS:
            raise ValidationError(
                {self.page_query_param: [ErrorDetail(self.TOO_DEEP.format(max=self.MAX_RESULTS), "too_deep")]}
            )
        self.count, self.count_is_exact, rows = visible.count_and_page(
            refine, cap=self.MAX_RESULTS, offset=offset, limit=min(self.page_size, self.MAX_RESULTS - offset),
            search=search,
        )  # fmt: skip
        if offset >= self.count and self.page_number > 1:
            raise NotFound("Invalid page.")
        return rows

    def _url(self, number: int | None) -> str | None:
        if number is None:
            return None
        url = self.request.build_absolute_uri()
        return (
            remove_query_param(url, self.page_query_param)
            if number == 1
            else replace_query_param(url, self.page_query_param, number)
        )

    def get_paginated_response(self, data):
        end = self.page_number * self.page_size
        following = self.page_number + 1 if end < min(self.count, self.MAX_RESULTS) else None
        previous = self.page_number - 1 if self.page_number > 1 else None
        return Response({"count": self.count, "count_is_exact": self.count_is_exact, "next": self._url(following),
                         "previous": self._url(previous), "results": data})  # fmt: skip

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"How many match, exactly up to {self.MAX_RESULTS:,}; beyond that {self.MAX_RESULTS:,} "
            "(count_is_exact false)."
        )
        response["properties"]["count_is_exact"] = {"type": "boolean"}
        response["required"] = [*response.get("required", []), "count_is_exact"]
        return response
