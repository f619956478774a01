# Faultline: slim Python 3.11, runs as a non-root user, migrates its database at start, health-checked on /healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements ./requirements
COPY sla ./sla
COPY bot ./bot
COPY dialogs ./dialogs
COPY adaptive_cards ./adaptive_cards
COPY reports ./reports
COPY infra ./infra
# Exactly the versions the tests ran on (the lock, every hash checked), then the project itself on top of them.
RUN pip install --require-hashes --no-deps -r requirements/azure.txt
RUN pip install --no-deps --no-build-isolation .

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin faultline \
    && mkdir -p /app/var && chown faultline /app/var
USER 10001

# Embedded SQLite by default; set FAULTLINE_DATABASE_URL to PostgreSQL for several replicas.
# The schema is migrated (Alembic) every time the service starts, before it answers.
ENV FAULTLINE_DATABASE_URL=sqlite+aiosqlite:////app/var/faultline.db \
    FAULTLINE_LOG_FORMAT=json \
    FAULTLINE_PORT=3978
EXPOSE 3978

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3978/healthz', timeout=4).status == 200 else 1)"]

CMD ["faultline"]
