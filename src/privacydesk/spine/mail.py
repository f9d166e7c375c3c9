"""What an app that sends e-mail and the shell's outbox reader agree on."""

#: A message carrying a one-time sign-in link (invitation, reset) sets this header; the
#: outbox reader under /staff/outbox/ hides its body, so reading the outbox is no way in (P3).
SIGN_IN_LINK_HEADER = "X-Privacydesk-Sign-In-Link"
