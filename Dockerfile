# mallkit: the app (gunicorn) and, with another command, the task worker and the migrations.
#   docker build -t mallkit .
#   docker run --env-file mallkit.env mallkit                      # the app on :8000
#   docker run --env-file mallkit.env mallkit mallkit worker       # a task worker
#   docker run --env-file mallkit.env mallkit mallkit db upgrade   # migrations (locked)
# compose.yaml runs all of them with PostgreSQL and Redis (docs/deployment.md).

ARG PYTHON_VERSION=3.12

# -- build: the mallkit wheel and the wheels of everything it needs ---------------------------
FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY . .
# pip's own settings for this step only, both optional build secrets that never reach a layer:
# pip.conf (a private index, a proxy; `cert = /run/secrets/pip-ca.crt` to trust pip-ca.crt, a
# PEM bundle, e.g. a proxy that re-signs TLS), as
#   docker build --secret id=pip.conf,src=pip.conf --secret id=pip-ca.crt,src=ca.pem -t mallkit .
# Without them pip uses PyPI.
RUN --mount=type=secret,id=pip.conf,target=/etc/pip.conf \
    --mount=type=secret,id=pip-ca.crt \
    pip wheel --no-cache-dir --wheel-dir /wheels '.[redis,s3]'

# -- run: the wheels installed, nothing else of the build -----------------------------------
FROM python:${PYTHON_VERSION}-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MALLKIT_BIND=0.0.0.0:8000 \
    MALLKIT_MEDIA_ROOT=/var/lib/mallkit/media \
    MALLKIT_LOG_FORMAT=json
RUN groupadd --system --gid 10001 mallkit \
    && useradd --system --uid 10001 --gid mallkit --home-dir /var/lib/mallkit \
       --shell /usr/sbin/nologin mallkit \
    && mkdir -p /var/lib/mallkit/media \
    && chown -R mallkit:mallkit /var/lib/mallkit
# Every wheel the build stage made: mallkit, its dependencies and the redis and s3 extras, at
# exactly the versions the build resolved; nothing is fetched here.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index /wheels/*.whl \
    && python -c "import mallkit.core.app, redis, boto3"
WORKDIR /var/lib/mallkit
USER 10001:10001
EXPOSE 8000
VOLUME ["/var/lib/mallkit/media"]
CMD ["gunicorn", "-c", "python:mallkit.core.gunicorn_conf", "mallkit.core.app:create_app()"]
