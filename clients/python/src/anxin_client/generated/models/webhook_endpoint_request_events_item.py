from enum import StrEnum


class WebhookEndpointRequestEventsItem(StrEnum):
    AUTHORIZATIONCANCELLED = "authorization:cancelled"
    AUTHORIZATIONDECLINED = "authorization:declined"
    AUTHORIZATIONEXHAUSTED = "authorization:exhausted"
    AUTHORIZATIONEXPIRED = "authorization:expired"
    AUTHORIZATIONEXPIRING = "authorization:expiring"
    AUTHORIZATIONLAPSED = "authorization:lapsed"
    AUTHORIZATIONPAUSED = "authorization:paused"
    AUTHORIZATIONRESUMED = "authorization:resumed"
    AUTHORIZATIONREVOKED = "authorization:revoked"
    AUTHORIZATIONSIGNED = "authorization:signed"
    AUTHORIZATIONVIEWED = "authorization:viewed"
    VALUE_0 = "*"

    def __str__(self) -> str:
        return str(self.value)
