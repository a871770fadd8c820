"""Errors a voting operation reports; the API turns them into JSON errors with 4xx codes."""


class VotingError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(VotingError):
    status = 404


class NotEligible(VotingError):
    status = 403


class AlreadyVoted(VotingError):
    status = 409
