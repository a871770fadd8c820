"""mVoting: policy votes, general votes and participatory budgeting, one vote per registered resident, every
ballot appended to a signed Merkle log (RFC 6962) that voters and auditors can check."""

from civic_services.voting.errors import AlreadyVoted, NotEligible, NotFound, VotingError
from civic_services.voting.rules import OptionSpec, PollSpec
from civic_services.voting.service import Registered, VotingService

__all__ = ["AlreadyVoted", "NotEligible", "NotFound", "OptionSpec", "PollSpec", "Registered", "VotingError",
           "VotingService"]
