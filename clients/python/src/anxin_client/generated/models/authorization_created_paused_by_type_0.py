from enum import StrEnum


class AuthorizationCreatedPausedByType0(StrEnum):
    OPERATOR = "operator"
    SUBJECT = "subject"

    def __str__(self) -> str:
        return str(self.value)
