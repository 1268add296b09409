"""Contains all the data models used in inputs/outputs"""

from .authorization import Authorization
from .authorization_created import AuthorizationCreated
from .authorization_created_paused_by_type_0 import AuthorizationCreatedPausedByType0
from .authorization_created_status_times import AuthorizationCreatedStatusTimes
from .authorization_detail import AuthorizationDetail
from .authorization_detail_paused_by_type_0 import AuthorizationDetailPausedByType0
from .authorization_detail_status_times import AuthorizationDetailStatusTimes
from .authorization_page import AuthorizationPage
from .authorization_paused_by_type_0 import AuthorizationPausedByType0
from .authorization_request import AuthorizationRequest
from .authorization_status import AuthorizationStatus
from .authorization_status_times import AuthorizationStatusTimes
from .body_report_pdf import BodyReportPdf
from .body_verify import BodyVerify
from .dated_range import DatedRange
from .default_secret_rotated import DefaultSecretRotated
from .deletion_attestation import DeletionAttestation
from .deletion_request import DeletionRequest
from .event import Event
from .event_page import EventPage
from .field_error import FieldError
from .frequency import Frequency
from .frequency_per import FrequencyPer
from .health import Health
from .id_type import IdType
from .institution_patch import InstitutionPatch
from .institution_settings import InstitutionSettings
from .key_set import KeySet
from .key_set_keys_item import KeySetKeysItem
from .ledger_entries import LedgerEntries
from .ledger_entry import LedgerEntry
from .ledger_proof import LedgerProof
from .locale import Locale
from .lookback_range import LookbackRange
from .masked_subject import MaskedSubject
from .problem import Problem
from .problem_code import ProblemCode
from .renewal_link import RenewalLink
from .secret_rotation import SecretRotation
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
from .webhook_delivery import WebhookDelivery
from .webhook_delivery_page import WebhookDeliveryPage
from .webhook_endpoint import WebhookEndpoint
from .webhook_endpoint_created import WebhookEndpointCreated
from .webhook_endpoint_deleted import WebhookEndpointDeleted
from .webhook_endpoint_list import WebhookEndpointList
from .webhook_endpoint_request import WebhookEndpointRequest
from .webhook_endpoint_request_events_item import WebhookEndpointRequestEventsItem
from .webhook_endpoint_with_secret import WebhookEndpointWithSecret

__all__ = (
    "Authorization",
    "AuthorizationCreated",
    "AuthorizationCreatedPausedByType0",
    "AuthorizationCreatedStatusTimes",
    "AuthorizationDetail",
    "AuthorizationDetailPausedByType0",
    "AuthorizationDetailStatusTimes",
    "AuthorizationPage",
    "AuthorizationPausedByType0",
    "AuthorizationRequest",
    "AuthorizationStatus",
    "AuthorizationStatusTimes",
    "BodyReportPdf",
    "BodyVerify",
    "DatedRange",
    "DefaultSecretRotated",
    "DeletionAttestation",
    "DeletionRequest",
    "Event",
    "EventPage",
    "FieldError",
    "Frequency",
    "FrequencyPer",
    "Health",
    "IdType",
    "InstitutionPatch",
    "InstitutionSettings",
    "KeySet",
    "KeySetKeysItem",
    "LedgerEntries",
    "LedgerEntry",
    "LedgerProof",
    "Locale",
    "LookbackRange",
    "MaskedSubject",
    "Problem",
    "ProblemCode",
    "RenewalLink",
    "SecretRotation",
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
    "WebhookDelivery",
    "WebhookDeliveryPage",
    "WebhookEndpoint",
    "WebhookEndpointCreated",
    "WebhookEndpointDeleted",
    "WebhookEndpointList",
    "WebhookEndpointRequest",
    "WebhookEndpointRequestEventsItem",
    "WebhookEndpointWithSecret",
)
