"""One pagination for every list: ?page=N&page_size=M (M from 1 to 200, 50 when not given).

A page_size or page that is not a whole number in range is a 400 naming it, rather than a quiet fallback
to the default (or a 404 that reads like "no such list"); a page past the end is still a 404.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


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
