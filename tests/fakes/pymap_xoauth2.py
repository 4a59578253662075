"""pymap as Exchange Online and Gmail run IMAP: sign-in only with ``AUTHENTICATE XOAUTH2``
(``LOGINDISABLED``), where the bearer token is checked as the demo user's password: the mail
system's check of a token its identity provider issued, in short.

Run as pymap's own command line: ``python pymap_xoauth2.py --port N --no-tls dict --demo-user U
--demo-password TOKEN``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pymap.config import IMAPConfig
from pymap.main import main
from pysasl import SASLAuth
from pysasl.creds.plain import PlainCredentials
from pysasl.exception import InvalidResponse
from pysasl.mechanism import ChallengeResponse
from pysasl.mechanism.oauth import OAuth2Mechanism


class _BearerAsPassword(OAuth2Mechanism):
    def server_attempt(self, responses: Sequence[ChallengeResponse]) -> tuple[PlainCredentials, None]:  # type: ignore[override]
        super().server_attempt(responses)  # the empty challenge first, or InvalidResponse
        found = self._pattern.match(responses[0].response)
        if found is None:
            raise InvalidResponse()
        user, token = (part.decode() for part in found.groups())
        return PlainCredentials(user, token), None


IMAPConfig.tls_auth = property(lambda self: SASLAuth([_BearerAsPassword()]))  # type: ignore[assignment,method-assign]

if __name__ == "__main__":
    sys.exit(main())
