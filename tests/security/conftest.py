"""The adversarial suite (issue 12): one test module per hole an attacker found, each test
failing on the code before its fix. Storage-touching tests run on SQLite and PostgreSQL
through the ``backend`` fixtures of tests/conftest.py; listeners bind 127.0.0.1 only."""
