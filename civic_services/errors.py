"""The one base of the civic services' own errors: a sentence for the person (``message``) and the 4xx status it
maps to (``status``). Each service derives its errors from it (``ComplaintError``, ``OpenDataError``,
``IoTError``, ``VotingError``); each API writes them in its own envelope (:mod:`webapi.errors`), and the tool
registry tells them to the citizen as a :class:`~civic_services.tools.registry.ToolError`."""


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
