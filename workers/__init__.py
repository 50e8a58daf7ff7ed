"""inferq's Celery side: the app, thin tasks, one adapter per service, the limiter, the retries."""
