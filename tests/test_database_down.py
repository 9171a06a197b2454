"""With the database unreachable, commands say so quickly and the bot recovers by itself when it returns."""
from __future__ import annotations

import time

import pytest
from datetime import datetime, timezone

from bot.app import build_registry
from bot.settings import Settings
from commands.registry import DATA_UNAVAILABLE
from storage.db import Database

PANEL_DAY = datetime(2025, 10, 27, 9, tzinfo=timezone.utc)


def test_unreachable_postgres_answers_data_unavailable_quickly():
    # Port 9 on loopback: nothing listens, so the connection is refused at once.
    db = Database("postgresql+psycopg://postgres@127.0.0.1:9/kpibot")
    registry = build_registry(Settings(database_url=db.url, _env_file=None), db, clock=lambda: PANEL_DAY)
    for line in ("/kpi calls-under-25s", "/reviews overdue", "/csp", "/digest list"):
        started = time.perf_counter()
        response = registry.run_line(line)
        assert response.is_error and response.title == DATA_UNAVAILABLE, line
        assert time.perf_counter() - started < 3.0
    db.dispose()


def test_sqlite_file_that_disappears_then_returns(demo_db, settings, tmp_path):
    """The same Database object answers again once its file is back: nothing to restart."""
    if not demo_db.url.startswith("sqlite"):
        pytest.skip("moves the SQLite file away")
    path = demo_db.url.removeprefix("sqlite:///")
    registry = build_registry(settings, demo_db, clock=lambda: PANEL_DAY)
    assert "58%" in registry.run_line("/kpi calls-under-25s").title
    demo_db.engine.dispose()
    moved = tmp_path / "away.db"
    import os
    os.replace(path, moved)
    os.makedirs(path)  # a directory where the file was: SQLite cannot open it
    try:
        response = registry.run_line("/kpi calls-under-25s")
        assert response.title == DATA_UNAVAILABLE
    finally:
        os.rmdir(path)
        os.replace(moved, path)
    assert "58%" in registry.run_line("/kpi calls-under-25s").title


class _Proxy:
    """A TCP relay to PostgreSQL that a test can cut and restore, as a network or server outage would."""

    def __init__(self, target_port: int):
        import socket
        import threading

        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        self.links: list = []
        self.up = threading.Event()
        self.up.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.links += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def cut(self) -> None:
        self.up.clear()
        for link in self.links:
            try:
                link.close()
            except OSError:
                pass
        self.links = []

    def restore(self) -> None:
        self.up.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_postgres_outage_and_recovery_without_restart(demo_db, settings):
    if not demo_db.url.startswith("postgresql"):
        pytest.skip("PostgreSQL outage")
    from sqlalchemy.engine import make_url

    url = make_url(demo_db.url)
    proxy = _Proxy(url.port or 5432)
    relayed = Database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    registry = build_registry(settings, relayed, clock=lambda: PANEL_DAY)
    try:
        assert "58%" in registry.run_line("/kpi calls-under-25s").title
        proxy.cut()
        started = time.perf_counter()
        assert registry.run_line("/kpi calls-under-25s").title == DATA_UNAVAILABLE
        assert time.perf_counter() - started < 3.0
        proxy.restore()
        assert "58%" in registry.run_line("/kpi calls-under-25s").title
    finally:
        relayed.dispose()
        proxy.close()
