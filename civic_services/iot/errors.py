"""Errors an IoT operation reports; the API turns them into SensorThings-style JSON errors with 4xx codes."""


class IoTError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(IoTError):
    status = 404
