"""Errors a complaint operation reports to its caller; the API turns them into Open311 error lists."""


class ComplaintError(Exception):
    status = 400

    def __init__(self, description: str, status: int | None = None):
        super().__init__(description)
        self.description = description
        if status is not None:
            self.status = status


class NotFound(ComplaintError):
    status = 404


class Conflict(ComplaintError):
    status = 409


class TooLarge(ComplaintError):
    status = 413


class UnsupportedMedia(ComplaintError):
    status = 415
