"""Headless Chromium for the browser tests: Debian's build driven by Playwright (its own download does not
work here). Background networking is off because this machine refuses Chromium's connections to Google."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
