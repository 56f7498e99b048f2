# Production image: gunicorn web, Celery worker and beat all run from it (see docker-compose.yml).
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY assets ./assets
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=inclusion.settings.production
WORKDIR /app
# WeasyPrint (the reports' PDFs) draws text with Pango; DejaVu gives it a font.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
COPY --from=assets /app/static/dist ./static/dist
RUN SECRET_KEY=collectstatic-only-$(date +%s)-padding-padding-padding python manage.py collectstatic --no-input \
    && useradd --create-home inclusion
USER inclusion
EXPOSE 8000
CMD ["gunicorn", "inclusion.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
