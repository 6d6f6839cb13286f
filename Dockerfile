# The service image; the database comes from DATABASE_URL (see docker-compose.yml).
FROM python:3.11-slim-bookworm
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service service
COPY geo geo
COPY indicators indicators
COPY web web
COPY data data
RUN pip install --no-cache-dir .
ENV DM_HOST=0.0.0.0 DM_PORT=8000 PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["district-monitor", "serve"]
