# kpibot: the same steps as the README's quick start (`make run`), as a non-root user.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 kpibot

WORKDIR /app
COPY --chown=kpibot:kpibot . .
USER kpibot
RUN make install

# The embedded SQLite file lives in a volume; set KPIBOT_DATABASE_URL to use PostgreSQL instead.
ENV KPIBOT_DATABASE_URL=sqlite:////app/data/kpibot.db
RUN mkdir -p /app/data
VOLUME ["/app/data"]
EXPOSE 3000
CMD ["make", "run"]
