"""The base of the civic services' own errors: a message for the person and the 4xx status it maps to."""


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
