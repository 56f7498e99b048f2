"""Domain errors raised by services: a form error on the web, a 400 through the API's one handler."""


class DomainError(Exception):
    """A rule of the scheme refused a change. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
