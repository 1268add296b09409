"""Pure domain: values, the authorization state machine and the use-gate rules.

Imports no web, database or crypto library; tested fast and alone.
"""
