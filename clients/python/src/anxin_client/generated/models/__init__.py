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
from .consistency_response_consistency import ConsistencyResponseConsistency
from .entries_response_entries import EntriesResponseEntries
from .event import Event
from .event_page import EventPage
from .field_error import FieldError
from .id_type import IdType
from .inclusion_response_inclusion import InclusionResponseInclusion
from .jwks_response_jwks import JwksResponseJwks
from .jwks_sm_2_response_jwks_sm_2 import JwksSm2ResponseJwksSm2
from .locale import Locale
from .masked_subject import MaskedSubject
from .problem import Problem
from .problem_code import ProblemCode
from .profile_response_profile import ProfileResponseProfile
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
    "ConsistencyResponseConsistency",
    "EntriesResponseEntries",
    "Event",
    "EventPage",
    "FieldError",
    "IdType",
    "InclusionResponseInclusion",
    "JwksResponseJwks",
    "JwksSm2ResponseJwksSm2",
    "Locale",
    "MaskedSubject",
    "Problem",
    "ProblemCode",
    "ProfileResponseProfile",
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
