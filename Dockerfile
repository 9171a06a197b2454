# kpibot: the same steps as the README's quick start (`make run`), as a non-root user.
FROM python:3.11-slim

# /app is made here, owned by the user who installs into it: WORKDIR alone would make it root's.
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 kpibot \
    && install -d -o kpibot -g kpibot /app /app/data

WORKDIR /app
COPY --chown=kpibot:kpibot . .
USER kpibot
RUN make install

# The database, charts/ and snapshots/ live in the volume; set KPIBOT_DATABASE_URL to use PostgreSQL instead.
ENV KPIBOT_DATABASE_URL=sqlite:////app/data/kpibot.db \
    KPIBOT_OUTPUT_DIR=/app/data
VOLUME ["/app/data"]
EXPOSE 3000
CMD ["make", "run"]
