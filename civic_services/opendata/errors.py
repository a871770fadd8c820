"""Errors of the open-data services, in CKAN's terms (the API renders ``{"success": false, "error": ...}``)."""

from __future__ import annotations

from civic_services.errors import ServiceError


class OpenDataError(ServiceError):
    status = 409
    kind = "Validation Error"

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field

    def as_ckan(self) -> dict:
        error = {"__type": self.kind, "message": self.message}
        if self.field:
            error[self.field] = [self.message]
        return error


class ValidationError(OpenDataError):
    pass


class NotFound(OpenDataError):
    status = 404
    kind = "Not Found Error"


class Forbidden(OpenDataError):
    status = 403
    kind = "Authorization Error"


class SearchError(OpenDataError):
    """A SQL query refused by the sandbox or stopped by its limits."""

    status = 409
    kind = "Search Query Error"
