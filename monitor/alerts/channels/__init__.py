"""Alert channels: e-mail, signed webhooks, Apprise; each renders, then sends."""
