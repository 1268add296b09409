"""anxin-client: the Python client of the Anxin institution API.

>>> from anxin_client import AnxinProblem, verify_receipt, verify_webhook

``anxin_client.generated`` is generated from the server's ``/openapi.json`` by
openapi-python-client (``make client``).
"""

from anxin_client.problems import AnxinProblem
from anxin_client.receipts import ReceiptError, verify_receipt
from anxin_client.webhooks import WebhookSignatureError, verify_webhook

__version__ = "0.1.0"

__all__ = ["AnxinProblem", "ReceiptError", "WebhookSignatureError", "verify_receipt",
           "verify_webhook"]
