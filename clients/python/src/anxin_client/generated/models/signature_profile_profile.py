from enum import StrEnum


class SignatureProfileProfile(StrEnum):
    DUAL = "dual"
    INTL = "intl"
    SM = "sm"

    def __str__(self) -> str:
        return str(self.value)
