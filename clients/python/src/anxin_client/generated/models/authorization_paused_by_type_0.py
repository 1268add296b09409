from enum import StrEnum


class AuthorizationPausedByType0(StrEnum):
    OPERATOR = "operator"
    SUBJECT = "subject"

    def __str__(self) -> str:
        return str(self.value)
