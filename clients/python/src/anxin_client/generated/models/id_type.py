from enum import StrEnum


class IdType(StrEnum):
    PASSPORT = "passport"
    RESIDENT_ID = "resident_id"

    def __str__(self) -> str:
        return str(self.value)
