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
from .delete_endpoint_response_delete_endpoint import (
    DeleteEndpointResponseDeleteEndpoint,
)
from .deletion_attestation import DeletionAttestation
from .deletion_request import DeletionRequest
from .deliveries_response_deliveries import DeliveriesResponseDeliveries
from .endpoint_in import EndpointIn
from .event import Event
from .event_page import EventPage
from .field_error import FieldError
from .frequency import Frequency
from .frequency_per import FrequencyPer
from .get_endpoint_response_get_endpoint import GetEndpointResponseGetEndpoint
from .health import Health
from .id_type import IdType
from .institution_patch import InstitutionPatch
from .institution_settings import InstitutionSettings
from .key_set import KeySet
from .key_set_keys_item import KeySetKeysItem
from .ledger_entries import LedgerEntries
from .ledger_entry import LedgerEntry
from .ledger_proof import LedgerProof
from .list_endpoints_response_list_endpoints import ListEndpointsResponseListEndpoints
from .locale import Locale
from .lookback_range import LookbackRange
from .masked_subject import MaskedSubject
from .ping_response_ping import PingResponsePing
from .problem import Problem
from .problem_code import ProblemCode
from .renewal_link import RenewalLink
from .retry_response_retry import RetryResponseRetry
from .rotate_default_response_rotate_default import RotateDefaultResponseRotateDefault
from .rotate_in import RotateIn
from .rotate_secret_response_rotate_secret import RotateSecretResponseRotateSecret
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
    "DeleteEndpointResponseDeleteEndpoint",
    "DeletionAttestation",
    "DeletionRequest",
    "DeliveriesResponseDeliveries",
    "EndpointIn",
    "Event",
    "EventPage",
    "FieldError",
    "Frequency",
    "FrequencyPer",
    "GetEndpointResponseGetEndpoint",
    "Health",
    "IdType",
    "InstitutionPatch",
    "InstitutionSettings",
    "KeySet",
    "KeySetKeysItem",
    "LedgerEntries",
    "LedgerEntry",
    "LedgerProof",
    "ListEndpointsResponseListEndpoints",
    "Locale",
    "LookbackRange",
    "MaskedSubject",
    "PingResponsePing",
    "Problem",
    "ProblemCode",
    "RenewalLink",
    "RetryResponseRetry",
    "RotateDefaultResponseRotateDefault",
    "RotateIn",
    "RotateSecretResponseRotateSecret",
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
