"""Errors a voting operation reports; the API turns them into JSON errors with 4xx codes."""

from civic_services.errors import ServiceError


class VotingError(ServiceError):
    pass


class NotFound(VotingError):
    """No such poll or registered voter."""

    status = 404


class NotEligible(VotingError):
    """A credential that may not vote in this poll (unknown or revoked: 401; another district: 403)."""

    status = 403


class KeysMismatch(VotingError):
    """This server's ledger keys are not the ones the database's ledger uses (a deployment error)."""

    status = 503


class AlreadyVoted(VotingError):
    """A second ballot from the same voter in the same poll."""

    status = 409
