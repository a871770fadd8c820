"""Errors a complaint operation reports to its caller; the API turns them into Open311 error lists."""

from civic_services.errors import ServiceError


class ComplaintError(ServiceError):
    @property
    def description(self) -> str:  # Open311's word for the message
        return self.message


class NotFound(ComplaintError):
    status = 404


class Conflict(ComplaintError):
    status = 409


class TooLarge(ComplaintError):
    status = 413


class UnsupportedMedia(ComplaintError):
    status = 415
