"""Staff credentials for the civic services: bearer tokens with scopes, stored only as hashes.

There is no default account or password: the first token is made on the server with
``dasan staff token create --name NAME --scopes ...``, which prints it once.
"""

from civic_services.staff.tokens import SCOPES, StaffIdentity, StaffTokenError, StaffTokens

__all__ = ["SCOPES", "StaffIdentity", "StaffTokenError", "StaffTokens"]
