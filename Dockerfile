# The image docker-compose.yml uses. Build context: the repository root.
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false MALLOC_ARENA_MAX=2
RUN apt-get update && apt-get install -y --no-install-recommends build-essential && rm -rf /var/lib/apt/lists/*
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
# .dockerignore keeps secrets (.env, postgres.env), local data (var/), .git, .venv and models/ out of the
# image: the model is trained below. The code stays owned by root, so the app (user 1000) cannot change it.
COPY . .
# The official Dutch pipeline (or set SPACY_NL_WHEEL at build time to a local wheel).
RUN pip install --no-cache-dir --no-deps -e . \
 && (pip install --no-cache-dir --no-deps "nl_core_news_sm @ https://github.com/explosion/spacy-models/releases/download/nl_core_news_sm-3.4.0/nl_core_news_sm-3.4.0-py3-none-any.whl" \
     || pip install --no-cache-dir --no-deps "$SPACY_NL_WHEEL") \
 && stadsvraag train
USER 1000
