"""IoT urban data: SensorThings API 1.1 (a subset) over the civic database, ingestion from MQTT and HTTP,
district analytics with Korea's fine-dust grades, downsampling and retention, and a sensor simulator."""

from civic_services.iot.errors import IoTError, NotFound
from civic_services.iot.service import IoTOptions, IoTService

__all__ = ["IoTError", "IoTOptions", "IoTService", "NotFound"]
