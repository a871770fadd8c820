"""Errors a complaint operation reports to its caller; the API turns them into Open311 error lists."""

from civic_services.errors import ServiceError


class ComplaintError(ServiceError):
    """A report or a change that cannot be taken as it is (400 unless a subclass says otherwise)."""

    @property
    def description(self) -> str:  # Open311's word for the message
        return self.message


class NotFound(ComplaintError):
    """No such service, report, token or media file."""

    status = 404


class Conflict(ComplaintError):
    """A status change the report's lifecycle does not allow from where it is."""

    status = 409


class TooLarge(ComplaintError):
    """An upload over its size or pixel limit."""

    status = 413


class UnsupportedMedia(ComplaintError):
    """An upload that is not a readable photo (JPEG, PNG, WebP) or video (MP4, MOV)."""

    status = 415
