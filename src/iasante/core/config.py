"""Typed settings: the only module that reads the environment (prefix ``IASANTE_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PACKAGE_DIR.parent.parent


def _default_home() -> Path:
    return REPO_DIR / "var" if (REPO_DIR / "pyproject.toml").exists() else Path.home() / ".iasante"


def _default_data_dir() -> Path | None:
    """``../shared/data`` beside the checkout (or one level further up, for nested CI clones)."""
    for base in (REPO_DIR.parent, REPO_DIR.parent.parent):
        candidate = base / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


class Settings(BaseSettings):
    """Deployment settings; every field can be set as ``IASANTE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="IASANTE_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="State folder: database, files, keys.")
    data_dir: Path | None = Field(default_factory=_default_data_dir, description="Full real data sets.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite in home by default.")
    secret_key: str | None = Field(default=None, description="Master key (base64, 32 bytes); else key file.")
    dask_scheduler: str | None = Field(default=None, description="tcp://host:8786 of a real Dask cluster.")
    dask_workers: int = 1
    dask_threads_per_worker: int = 2
    max_upload_mb: int = 200
    session_minutes: int = 30
    cookie_secure: bool = False
    default_locale: str = "fr"
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'iasante.db'}"

    @property
    def files_dir(self) -> Path:
        return self.home / "files"

    @property
    def key_file(self) -> Path:
        return self.home / "secret.key"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the environment."""
    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return settings
