FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md alembic.ini ./
COPY api ./api
COPY web ./web
COPY migrations ./migrations
COPY questionnaires ./questionnaires
RUN pip install --no-cache-dir -e .
EXPOSE 8000
# Migrations run before the server starts; the app servers keep no state of their own.
CMD ["sh", "-c", "kennisster migrate && kennisster serve --host 0.0.0.0 --port 8000 --workers ${KENNISSTER_WORKERS:-2}"]
