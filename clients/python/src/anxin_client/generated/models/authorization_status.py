from enum import StrEnum


class AuthorizationStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    LAPSED = "lapsed"
    PAUSED = "paused"
    PENDING = "pending"
    REVOKED = "revoked"

    def __str__(self) -> str:
        return str(self.value)
