"""API keys: who may call what, how often. Shared by every service that answers HTTP.

Keys live hashed in one small database (`<namespace>_access`); the gateway and the read
services look them up (cached for a few seconds, unknown keys too), and
`python -m opd_shared.access` creates, lists and revokes them.
"""

from opd_shared.access.guard import Caller, Guard, key_store, open_guard
from opd_shared.access.policy import AccessPolicy
from opd_shared.access.roles import Permission, Role

__all__ = ["AccessPolicy", "Caller", "Guard", "Permission", "Role", "key_store", "open_guard"]
