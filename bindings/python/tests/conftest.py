"""Shared set-up for the Python journeys over the generated UniFFI module.

The module under test is `silbato_ffi` (bindings/python/silbato_ffi, written by
scripts/generate-bindings); it loads libsilbato_ffi.so from its own directory. Set
SILBATO_PY_DIR to the directory that holds a `silbato_ffi/` package with the library next to the
module (scripts/foreign-tests-python does this in target/); without it the committed package in
bindings/python is used, and the library must have been copied into it.

Signed fixtures come from the Rust example `bindings/examples/fixtures.rs`: SILBATO_FIXTURES_BIN
names its binary, or it is run with `cargo run -p silbato-ffi --example fixtures`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

sys.path.insert(0, os.environ.get("SILBATO_PY_DIR") or str(HERE.parent))

try:
    import silbato_ffi as sf  # noqa: E402
except Exception as e:  # pragma: no cover - set-up failure, reported once
    raise pytest.UsageError(
        f"cannot import silbato_ffi from {sys.path[0]} ({e!r}). The library must sit next to the "
        "module, and a checksum mismatch means the committed bindings are stale: run "
        "scripts/generate-bindings, or run the tests with scripts/foreign-tests-python"
    ) from e


class PyKeyStore(sf.KeyStore):
    """A stand-in for Android Keystore / the iOS Keychain: a reversible XOR with a fixed mask,
    tagged with the label, so a blob only unwraps under the label it was wrapped for."""

    MASK = 0x5A

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def wrap(self, label: str, secret: bytes) -> bytes:
        self.calls.append(("wrap", label))
        return label.encode() + b"\0" + bytes(b ^ self.MASK for b in secret)

    def unwrap(self, label: str, blob: bytes) -> bytes:
        self.calls.append(("unwrap", label))
        tag, sep, body = bytes(blob).partition(b"\0")
        if not sep or tag != label.encode():
            raise sf.KeyStoreFailure.NotFound()
        return bytes(b ^ self.MASK for b in body)

    def destroy(self, label: str) -> None:
        self.calls.append(("destroy", label))


@dataclass
class Fixtures:
    dir: Path
    profile: bytes
    fingerprint: str
    alert_observed: bytes
    alert_tampered: bytes

    def sealed_push(self, device_key: bytes, alert: str = "alert-observed.json") -> bytes:
        """The alert file sealed to a device's push key, by the Rust example."""
        out = self.dir / f"push-{bytes(device_key).hex()[:16]}.bin"
        _run_fixtures(["push", bytes(device_key).hex(), str(self.dir / alert), str(out)])
        return out.read_bytes()


def _run_fixtures(args: list[str]) -> None:
    binary = os.environ.get("SILBATO_FIXTURES_BIN")
    if binary:
        cmd = [binary, *args]
    else:
        cmd = ["cargo", "run", "-q", "-p", "silbato-ffi", "--example", "fixtures", "--", *args]
    subprocess.run(cmd, check=True, cwd=REPO, timeout=900)


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Fixtures:
    d = tmp_path_factory.mktemp("fixtures")
    _run_fixtures([str(d)])
    return Fixtures(
        dir=d,
        profile=(d / "profile.json").read_bytes(),
        fingerprint=(d / "fingerprint.txt").read_text().strip(),
        alert_observed=(d / "alert-observed.json").read_bytes(),
        alert_tampered=(d / "alert-tampered.json").read_bytes(),
    )


def open_core(data_dir: Path, key_store: sf.KeyStore | None = None) -> sf.Silbato:
    return sf.Silbato.open(
        str(data_dir),
        sf.SilbatoConfig(vault_idle_timeout_secs=0, insecure_fast_kdf_for_tests=True),
        key_store or PyKeyStore(),
    )


@pytest.fixture
def key_store_cls():
    return PyKeyStore


@pytest.fixture
def make_core():
    """Opens the core on a data directory, with a Python key store unless one is given."""
    return open_core


@pytest.fixture
def core(tmp_path: Path) -> sf.Silbato:
    return open_core(tmp_path / "data")
