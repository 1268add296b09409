"""The operator console: operators (argon2 passwords, TOTP), and the ``anxin operator``
commands. The pages are in :mod:`anxin.web.pages.console`."""
