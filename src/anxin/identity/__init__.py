"""Identity: SMS gateways, one-time codes, real-name checks, passkeys."""
