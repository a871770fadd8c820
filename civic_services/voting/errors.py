"""Errors a voting operation reports; the API turns them into JSON errors with 4xx codes."""

from civic_services.errors import ServiceError


class VotingError(ServiceError):
    pass


class NotFound(VotingError):
    status = 404


class NotEligible(VotingError):
    status = 403


class AlreadyVoted(VotingError):
    status = 409
