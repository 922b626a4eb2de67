"""The API's request and response bodies. The handlers validate and build these, and the
OpenAPI spec takes its schemas from them, so the two cannot drift apart."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from lifestream.models import Insights, Minutes

JobId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$", description="a job id, which is also the meeting id")]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
State = Literal["queued", "processing", "completed", "failed", "cancelled"]


def json_integer(value):
    """JSON Schema's integer: 17.0 is one, "17" and true are not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Integer = Annotated[int, BeforeValidator(json_integer)]


class Request(BaseModel):
    # Strict: "5" is not a size and true is not a count. Unknown fields are ignored.
    model_config = ConfigDict(strict=True, extra="ignore")


class UploadRequest(Request):
    filename: str = Field(min_length=1, max_length=255, description="the recording's file name")
    size: Integer = Field(ge=1, description="bytes; at most LIFESTREAM_MAX_UPLOAD_MB MiB")
    content_type: str | None = Field(default=None, max_length=127)
    conversation: Name | None = Field(default=None, description='what ask scopes by (default "api")')


class ConfirmRequest(Request):
    upload_token: str = Field(min_length=1, max_length=2048, description="from upload/presigned-url")
    # (constraints before the validator, or pydantic writes them into the schema as "ge"/"le")
    num_speakers: Annotated[int, Field(ge=1, le=20), BeforeValidator(json_integer)] | None = Field(
        default=None, description="if known")


class QueryRequest(Request):
    question: str = Field(min_length=1, max_length=1000)
    meeting_ids: list[JobId] = Field(default_factory=list, max_length=50,
                                     description="only these meetings (default: every meeting of the workspace)")
    conversations: list[Name] = Field(default_factory=list, max_length=100,
                                      description="only meetings from these conversations")


class ErrorBody(BaseModel):
    error: str


class UploadTicket(BaseModel):
    job_id: str = Field(description="the job (and meeting) id the upload becomes once confirmed")
    upload_token: str = Field(description="pass to upload/confirm after the upload")
    upload_url: str = Field(description="PUT the file's bytes here")
    method: Literal["PUT"] = "PUT"
    headers: dict[str, str] = Field(description="send exactly these headers with the PUT")
    expires_at: str
    max_bytes: int


class UploadReceived(BaseModel):
    job_id: str
    size: int


class ProgressFields(BaseModel):
    """A running job's progress as the chat threads show it."""

    text: str = Field(description='stage, percent and time left in words: "Transcribing · 40% · about 3 min left"')
    stage_name: str = Field(description="the stage in words")
    eta_at: str | None = Field(default=None, description="when it should be done (ISO time), from the rates "
                               "measured on this deployment; null until that estimate means something")
    seconds_left: int | None = Field(default=None, description="seconds until eta_at, never negative")


class JobStatus(BaseModel):
    job_id: str
    state: State
    stage: str | None = None
    percent: float
    progress: ProgressFields | None = Field(default=None, description="while it is processing")
    error: str | None = Field(default=None, description="why the job failed, was cancelled, or is being retried")
    retryable: bool | None = None
    source_name: str
    created_at: str
    updated_at: str
    finished_at: str | None = None
    page_url: str = Field(description="the meeting page, a signed link valid for a day")
    recording_deleted_at: str | None = Field(
        default=None, description="when the recording was deleted under the retention rules: the minutes remain, "
        "but the meeting cannot be re-run or retried")
    recording_deleted_on: str | None = Field(
        default=None, description="when the recording will be deleted (ISO date), if it is deleted by age")
    meeting_deleted_on: str | None = Field(
        default=None, description="when the whole meeting will be deleted (ISO date); null: kept until deleted")
    retention_note: str | None = Field(default=None, description="what is kept of this meeting and until when, "
                                                                 "in words")


class SpeakerName(BaseModel):
    label: str
    name: str


# GET summary/<id>?format=: the JSON below, Markdown, or a file (lifestream.exports).
SUMMARY_FORMATS = ("json", "md", "docx", "pdf", "vtt", "srt")


class MeetingSummary(BaseModel):
    job_id: str
    title: str
    source_name: str
    duration: float
    language: str | None = None
    speakers: list[SpeakerName]
    minutes: Minutes
    insights: Insights  # talk time, turns, questions, pace, silence (lifestream.pipeline.insights)
    page_url: str
    recording_deleted_at: str | None = Field(
        default=None, description="when the recording was deleted under the retention rules (the minutes remain)")
    retention_note: str | None = Field(default=None, description="what is kept of this meeting and until when")


class MeetingItem(BaseModel):
    job_id: str
    source_name: str
    state: State
    stage: str | None = None
    percent: float
    progress: ProgressFields | None = Field(default=None, description="while it is processing")
    conversation: str | None = None
    created_at: str
    page_url: str
    recording_deleted_at: str | None = Field(default=None, description="when the recording was deleted (retention)")


class Retention(BaseModel):
    """The retention rules in force for a workspace, from its settings (``/settings``: ``retention_days``,
    ``recording_retention_days``, ``keep_recordings``)."""

    recording_days: int | None = Field(description="recordings are deleted this many days after they were "
                                                   "shared; null: kept with their meeting")
    meeting_days: int | None = Field(description="meetings (minutes, transcript, keyframes, search records) are "
                                                 "deleted this many days after they were shared; null: kept")
    keep_recordings: bool = Field(description="false: a recording is deleted as soon as its minutes are made")
    description: str


class MeetingList(BaseModel):
    meetings: list[MeetingItem]
    jobs_page_url: str = Field(description="the workspace's jobs page, a signed link valid for a day")
    retention: Retention = Field(description="how long this workspace's recordings and meetings are kept (change "
                                             "it with PATCH /settings)")
