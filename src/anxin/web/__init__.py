"""The web edge: parse input, call a use case, translate errors into problem details."""
