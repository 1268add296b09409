"""Contains all the data models used in inputs/outputs"""

from .authorization import Authorization
from .authorization_created import AuthorizationCreated
from .authorization_created_status_times import AuthorizationCreatedStatusTimes
from .authorization_detail import AuthorizationDetail
from .authorization_detail_status_times import AuthorizationDetailStatusTimes
from .authorization_page import AuthorizationPage
from .authorization_request import AuthorizationRequest
from .authorization_status import AuthorizationStatus
from .authorization_status_times import AuthorizationStatusTimes
from .body_report_pdf import BodyReportPdf
from .body_verify import BodyVerify
from .event import Event
from .event_page import EventPage
from .field_error import FieldError
from .health import Health
from .id_type import IdType
from .key_set import KeySet
from .key_set_keys_item import KeySetKeysItem
from .ledger_entries import LedgerEntries
from .ledger_entry import LedgerEntry
from .ledger_proof import LedgerProof
from .locale import Locale
from .masked_subject import MaskedSubject
from .problem import Problem
from .problem_code import ProblemCode
from .signature_profile import SignatureProfile
from .signature_profile_profile import SignatureProfileProfile
from .subject_identity import SubjectIdentity
from .template import Template
from .template_detail import TemplateDetail
from .template_page import TemplatePage
from .template_ref import TemplateRef
from .template_request import TemplateRequest
from .use_granted import UseGranted
from .use_log_entry import UseLogEntry
from .use_request import UseRequest

__all__ = (
    "Authorization",
    "AuthorizationCreated",
    "AuthorizationCreatedStatusTimes",
    "AuthorizationDetail",
    "AuthorizationDetailStatusTimes",
    "AuthorizationPage",
    "AuthorizationRequest",
    "AuthorizationStatus",
    "AuthorizationStatusTimes",
    "BodyReportPdf",
    "BodyVerify",
    "Event",
    "EventPage",
    "FieldError",
    "Health",
    "IdType",
    "KeySet",
    "KeySetKeysItem",
    "LedgerEntries",
    "LedgerEntry",
    "LedgerProof",
    "Locale",
    "MaskedSubject",
    "Problem",
    "ProblemCode",
    "SignatureProfile",
    "SignatureProfileProfile",
    "SubjectIdentity",
    "Template",
    "TemplateDetail",
    "TemplatePage",
    "TemplateRef",
    "TemplateRequest",
    "UseGranted",
    "UseLogEntry",
    "UseRequest",
)
