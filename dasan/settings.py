"""One settings object for the whole process.

Values come, in order of precedence, from keyword arguments, environment variables (``DASAN_*``, plus
``DATABASE_URL``), an optional TOML file (``DASAN_CONFIG``, or ``dasan.toml`` in the working directory), and
the defaults below. Settings are built once per process by :func:`get_settings` and passed down; nothing is
created at import time.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from voicebot.turn_end import TurnEndOptions  # the default threshold has one home: the call's own options


def default_models_dir() -> Path:
    """Model weights are shared by every checkout on a machine, like any model cache."""
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "dasan" / "models"


def config_file() -> Path | None:
    explicit = os.environ.get("DASAN_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FileNotFoundError(f"DASAN_CONFIG points at {path}, which is not a file")
        return path
    local = Path("dasan.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    """Every knob of Dasan. Environment names are the field names upper-cased with a ``DASAN_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="DASAN_", extra="ignore", frozen=True)

    # --- where things live
    data_dir: Path = Field(Path("var"), description="Databases, keys, indexes and uploads.")
    models_dir: Path = Field(default_factory=default_models_dir, description="Assembled model weights.")
    database_url: str = Field(
        "",
        validation_alias=AliasChoices("DATABASE_URL", "DASAN_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL; empty means a SQLite file in data_dir.",
    )
    database_pool_size: int = Field(10, ge=1, le=200, description="Connections each process keeps open to a "
                                    "server database (as many again for a burst); SQLite ignores it.")
    redis_url: str = Field("", description="Redis for state every worker shares (chat conversations), e.g. "
                           "redis://127.0.0.1:6379/0; empty keeps it in the database.")

    # --- server
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    request_body_max_bytes: int = Field(1_000_000, ge=1_000, description="Largest request body, as sent and once "
                                        "decompressed, of an endpoint without a limit of its own (uploads take "
                                        "theirs from complaint_*_max_bytes and minutes_upload_max_bytes).")

    # --- logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False

    # --- civic services (complaints, open data)
    uploads_dir: Path | None = Field(None, description="Uploaded media; empty means data_dir/uploads.")
    complaint_photo_max_bytes: int = Field(10_000_000, ge=1, description="Largest photo a report may carry.")
    complaint_video_max_bytes: int = Field(50_000_000, ge=1, description="Largest video a report may carry.")
    map_tile_url: str = Field("", description="Base-map tiles for the pages' maps, a Leaflet URL template such as "
                              "https://tiles.example.org/{z}/{x}/{y}.png; empty means the maps draw only the "
                              "district outlines Dasan serves (no request leaves the machine).")
    map_tile_attribution: str = Field("", description="The attribution shown under the map when map_tile_url is set.")
    datastore_rows_max: int = Field(5000, ge=1, description="Row cap of one datastore_search page.")
    datastore_sql_enabled: bool = Field(False, description="Serve datastore_search_sql (read-only sandbox).")
    datastore_sql_rows_max: int = Field(1000, ge=1, description="Row cap of one datastore_search_sql answer.")
    datastore_sql_timeout_ms: int = Field(1000, ge=10, description="Time limit of one datastore_search_sql query.")
    datastore_sql_max_bytes: int = Field(5_000_000, ge=10_000, description="Byte cap of one datastore_search_sql "
                                         "answer's records (as JSON) and of any value a query builds.")

    # --- IoT (SensorThings + MQTT) and voting
    mqtt_url: str = Field("mqtt://127.0.0.1:1883", description="MQTT broker the IoT consumer and simulator use.")
    mqtt_topic_prefix: str = Field("v1.1", description="SensorThings MQTT topic prefix (v1.1/Datastreams(id)/...).")
    mqtt_share_group: str = Field("", description="MQTT shared-subscription group the IoT consumers join "
                                  "($share/GROUP/...), so several share the messages; empty: none.")
    iot_batch_size: int = Field(5000, ge=1, le=100_000, description="Observations per consumer commit, at most.")
    iot_batch_ms: int = Field(200, ge=1, le=60_000, description="Longest an observation waits for its commit.")
    iot_raw_retention_days: int = Field(90, ge=0, description="Keep raw observations this long (0: forever); "
                                        "older ones survive as hourly aggregates.")
    iot_hourly_retention_days: int = Field(0, ge=0, description="Keep hourly aggregates this long (0: forever).")
    vote_batch_max: int = Field(512, ge=1, le=10_000, description="Most ballots appended to the ledger in one "
                                "commit (concurrent casts are grouped).")
    sample_data: bool = Field(False, description="At start-up, load the sample data a fresh install shows (the "
                              "synthetic open datasets, sample polls, a simulated sensor feed), each marked as a "
                              "sample and loaded once; `make run` sets it unless told otherwise.")
    sample_feed: bool = Field(True, description="With sample_data: also run the simulated sensor feed (one station "
                              "per district, a reading a minute).")

    # --- the 120 assistant
    chat_enabled: bool = Field(True, description="Serve the 120 assistant (false: no index is built or loaded).")
    kb_path: Path | None = Field(None, description="Knowledge base (.jsonl or .csv); empty means the bundled 120 KB.")
    index_dir: Path | None = Field(None, description="Where the KB index is kept; empty means data_dir/index/kb.")
    index_auto_rebuild: bool = Field(False, description="Rebuild a stale or corrupt index at start instead of "
                                     "refusing it.")
    chat_session_idle_s: float = Field(3600, gt=0, description="A conversation is forgotten this long after its "
                                       "last turn.")
    voting_keys_dir: Path | None = Field(None, description="The ballot ledger's keys (signing and pseudonym); "
                                         "every server of one database must read the same. Empty: data_dir/keys.")
    call_record_keep_s: float = Field(7 * 86400, gt=0, description="A voice call's record (transcript, outcome) "
                                      "is kept this long for agents.")
    text_channel_url: str = Field("https://example.invalid/120-text", description="The text channel (SMS or "
                                  "KakaoTalk) link a voice caller is sent where no spoken answer can be given "
                                  "(Korean without a Korean voice) or asks for the details; a placeholder.")
    sip_port: int = Field(0, ge=0, le=65535, description="Answer SIP calls (UDP) on this port; 0: no SIP "
                          "listener (docs/voicebot.md, \"SIP\").")
    sip_host: str = Field("0.0.0.0", description="The address the SIP listener and each call's RTP bind to.")
    sip_advertise: str = Field("", description="The address put in SIP Contact and SDP (a NAT's public address); "
                               "empty: the listener's address, or the local address that routes to the caller.")
    sip_transfer_uri: str = Field("", description="Where a transfer REFERs a SIP caller ({target}: agent or "
                                  "interpretation); empty: the call ends with a BYE after the transfer line.")
    chat_answer_threshold: float = Field(0.3, ge=0.0, le=1.0, description="Answer at or above this confidence.")
    chat_tool_router: Literal["nlu", "llm", "off"] = Field("nlu", description="How the assistant recognises tool "
                                                           "requests: lexicons (nlu), the local LLM, or not at all.")
    chat_rerank_with_llm: bool = Field(False, description="Let the local LLM reorder the best entries. Measured on "
                                       "the dev set it hurts with the bundled 1.5B model (docs/assistant.md).")
    chat_compose_with_llm: bool = Field(False, description="Compose answers with the local LLM from the retrieved "
                                        "passages (checked against them) instead of the curated text.")

    # --- models: each role takes a registry name, a local path, or (on a connected machine) a hub name
    asr_model: str = "whisper-base"
    asr_backend: str = Field("faster-whisper", description="faster-whisper or openai-whisper (models.asr.BACKENDS).")
    asr_compute_type: str = "int8"
    embedder_model: str = "multilingual-e5-small-q4"
    vad_model: str = "silero-vad"
    turn_model: str = Field("smart-turn-v3.2", description="End-of-turn model of the voicebot (registry name or a "
                            "Smart Turn v3 ONNX file); empty: the turn's end is judged by its words alone.")
    turn_threshold: float = Field(TurnEndOptions.model_threshold, ge=0.0, le=1.0, description="At a caller's first pause the turn is over "
                                  "when the end-of-turn model's probability is at least this (docs/voicebot.md).")
    tts_voice_en: str = "piper-joe-en"
    tts_voice_ko: str = Field("espeak-ng", description="Korean voice: a registry voice, a Piper .onnx file or "
                              "the URL of an OpenAI-style speech server (the bundled espeak-ng Korean is poor).")
    tts_api_key: SecretStr | None = Field(None, description="Bearer token for a speech server voice.")
    llm_model: str = "qwen2.5-coder-1.5b-q4km"
    speaker_model: str = Field("resemblyzer-ge2e", description="Speaker encoder for minutes (registry name or .pt).")
    minutes_upload_max_bytes: int = Field(2_000_000_000, ge=1, description="Largest recording a minutes upload "
                                          "may be.")
    time_zone: str = Field("Asia/Seoul", description="IANA time zone of the dates people read (a meeting's date "
                           "in its minutes).")
    shutdown_grace_s: float = Field(30.0, ge=0, le=3600, description="On SIGTERM, finish calls, live meetings and "
                                    "the job in hand for up to this long before stopping (0: stop at once).")
    jobs_in_process: bool = Field(True, description="This server also runs queued jobs (minutes uploads) in a "
                                  "thread; false leaves them to `dasan worker` processes.")
    job_lease_s: float = Field(30.0, gt=0, le=3600, description="A job whose worker has not reported for this long "
                               "is taken again by another worker.")
    job_max_attempts: int = Field(3, ge=1, le=20, description="Tries of a job whose worker keeps stopping before it "
                                  "fails for good.")
    llm_enabled: bool = Field(True, description="Use the local LLM when its weights are installed.")
    threads: int = Field(2, ge=1, le=256, description="CPU threads per model.")
    warm_up: bool = Field(True, description="Load the required roles' models when the server starts.")
    # Roles whose models must be present for /readyz to answer 200.
    required_roles: tuple[str, ...] = ("asr", "embedder", "vad")

    # --- Ray Serve: model work off the web workers (docs/operations.md, "Ray Serve")
    ray_address: str = Field("", description="Ray cluster that runs the model work (auto, host:6379 or "
                             "ray://host:10001); empty runs every model in this process.")
    ray_roles: str = Field("embedder,asr", description="Roles served by Ray when ray_address is set, comma-separated "
                           "(embedder, asr, llm, tts); the others load in this process.")
    ray_app_prefix: str = Field("dasan", description="Prefix of the Serve applications' names (<prefix>-embedder, "
                                "<prefix>-asr, <prefix>-llm, <prefix>-tts-en, <prefix>-tts-ko).")
    ray_embedder_replicas: int = Field(1, ge=1, le=1000, description="Replicas of the embedder deployment.")
    ray_embedder_cpus: float = Field(1.0, gt=0, le=256, description="CPUs reserved per embedder replica (also its "
                                     "threads, rounded).")
    ray_asr_replicas: int = Field(1, ge=1, le=1000, description="Replicas of the ASR (window decoding) deployment.")
    ray_asr_cpus: float = Field(1.0, gt=0, le=256, description="CPUs reserved per ASR replica.")
    ray_llm_replicas: int = Field(1, ge=1, le=1000, description="Replicas of the LLM deployment.")
    ray_llm_cpus: float = Field(2.0, gt=0, le=256, description="CPUs reserved per LLM replica.")
    ray_tts_replicas: int = Field(1, ge=1, le=1000, description="Replicas of each voice's TTS deployment.")
    ray_tts_cpus: float = Field(1.0, gt=0, le=256, description="CPUs reserved per TTS replica.")
    ray_batch_max: int = Field(16, ge=1, le=1024, description="Most requests the embedder encodes in one batch.")
    ray_asr_batch_max: int = Field(4, ge=1, le=16, description="Most Whisper windows gathered into one batch.")
    ray_batch_wait_ms: float = Field(0.0, ge=0, le=1000, description="Longest a request waits for others to join "
                                     "its batch (0: none; the requests that queue while a batch runs form the "
                                     "next one).")
    ray_call_timeout_s: float = Field(120.0, gt=0, description="Longest one call to a Ray deployment may take.")
    ray_max_replicas_per_node: int = Field(0, ge=0, le=1000, description="Most replicas of one deployment on one "
                                           "Ray node, so a node lost takes few (0: no limit).")

    @field_validator("asr_backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        from models.asr import BACKENDS

        if value not in BACKENDS:
            raise ValueError(f"unknown ASR backend {value!r}; choose one of {', '.join(BACKENDS)}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Seoul") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = config_file()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dasan.db').resolve()}"

    @property
    def resolved_index_dir(self) -> Path:
        return (self.index_dir or self.data_dir / "index" / "kb").resolve()

    @property
    def resolved_voting_keys_dir(self) -> Path:
        return (self.voting_keys_dir or self.data_dir / "keys").resolve()

    @property
    def resolved_uploads_dir(self) -> Path:
        return (self.uploads_dir or self.data_dir / "uploads").resolve()

    def model_ref(self, role: str) -> str:
        """The configured model reference of a role (``asr``, ``embedder``, ``vad``, ``tts_en``, ...: the keys of
        :data:`models.loaded.ROLES`)."""
        from models.loaded import role as model_role
        from models.store import ModelError

        try:
            return getattr(self, model_role(role).setting)
        except ModelError as exc:
            raise KeyError(str(exc)) from None


@lru_cache
def get_settings() -> Settings:
    return Settings()
