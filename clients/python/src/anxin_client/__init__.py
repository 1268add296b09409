"""anxin-client: the Python client of the Anxin institution API.

>>> from anxin_client import Anxin, AnxinProblem, verify_receipt, verify_webhook
>>> Anxin("http://localhost:8000", api_key="anx_example").client.token
'anx_example'

``Anxin`` (``anxin_client.facade``) is the hand-written part; ``anxin_client.generated`` is
generated from the server's ``/openapi.json`` by openapi-python-client (``make client``).
"""

from anxin_client.facade import Anxin, new_idempotency_key
from anxin_client.problems import AnxinProblem
from anxin_client.receipts import ReceiptError, verify_receipt
from anxin_client.webhooks import WebhookSignatureError, verify_webhook

__version__ = "0.1.0"

__all__ = ["Anxin", "AnxinProblem", "ReceiptError", "WebhookSignatureError",
           "new_idempotency_key", "verify_receipt", "verify_webhook"]
