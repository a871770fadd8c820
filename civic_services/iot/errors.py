"""Errors an IoT operation reports; the API turns them into SensorThings-style JSON errors with 4xx codes."""

from civic_services.errors import ServiceError


class IoTError(ServiceError):
    pass


class NotFound(IoTError):
    status = 404
