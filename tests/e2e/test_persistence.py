"""SIMFRA_DATA_DIR: files, keys, refusal of wrong keys and corrupt or newer databases."""
import hashlib
import os
import sqlite3
import stat
import subprocess

import pytest
import requests

from conftest import find_simfra_bin

KEY_A = "a1" * 32
KEY_B = "b2" * 32


def dir_digest(path):
    """Every file's name and bytes under path: proves a refused start modified nothing."""
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(p.encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def run_refused(data_dir, env_extra):
    """Start simfra expecting it to refuse: returns (exit code, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMFRA_")}
    env.update({"SIMFRA_PORT": "0", "SIMFRA_DATA_DIR": str(data_dir)})
    env.update(env_extra)
    p = subprocess.run([str(find_simfra_bin())], env=env, capture_output=True, timeout=20)
    return p.returncode, p.stderr.decode()


def test_data_dir_layout_and_health(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    assert "persistence: on" in s.start_line
    health = requests.get(s.url + "/_simfra/health").json()
    assert health["persistenceEnabled"] is True
    for name in ("simfra.db", ".master_key"):
        assert (data / name).exists()
    assert (data / "s3").is_dir() and (data / "bootstrap").is_dir()
    mode = stat.S_IMODE(os.stat(data / ".master_key").st_mode)
    assert mode == 0o600
    assert len((data / ".master_key").read_bytes()) == 32
    db = sqlite3.connect(f"file:{data / 'simfra.db'}?mode=ro", uri=True)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_storage_summary(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    summary = requests.get(s.url + "/_simfra/storage/summary").json()
    assert summary["enabled"] is True
    assert summary["dataDir"] == str(data)
    assert summary["dbPath"] == str(data / "simfra.db")
    assert summary["dbSize"] > 0
    assert summary["total"] == 0 and summary["services"] == []


def test_summary_without_persistence(server):
    summary = requests.get(server.url + "/_simfra/storage/summary").json()
    assert summary["enabled"] is False
    assert requests.get(server.url + "/_simfra/health").json()["persistenceEnabled"] is False


def test_restart_on_same_dir_and_key(server_factory, tmp_path):
    data = tmp_path / "data"
    first = server_factory(data_dir=data, env={"SIMFRA_PERSISTENCE_KEY": KEY_A})
    assert first.stop() == 0
    assert not (data / ".master_key").exists()  # an explicit key never writes a key file
    second = server_factory(data_dir=data, env={"SIMFRA_PERSISTENCE_KEY": KEY_A})
    assert requests.get(second.url + "/_simfra/health").status_code == 200


def test_wrong_key_refused_and_nothing_modified(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data, env={"SIMFRA_PERSISTENCE_KEY": KEY_A})
    assert s.stop() == 0
    before = dir_digest(data)
    code, err = run_refused(data, {"SIMFRA_PERSISTENCE_KEY": KEY_B})
    assert code == 2
    assert "SIMFRA_PERSISTENCE_KEY" in err and ".master_key" in err
    assert dir_digest(data) == before


def test_master_key_file_mismatch_refused(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    assert s.stop() == 0
    (data / ".master_key").write_bytes(os.urandom(32))
    before = dir_digest(data)
    code, err = run_refused(data, {})
    assert code == 2 and "key" in err.lower()
    assert dir_digest(data) == before


@pytest.mark.parametrize("bad", ["abc", "z" * 64, "a1" * 31, "a1" * 33])
def test_malformed_key_refused_before_anything_written(tmp_path, bad):
    data = tmp_path / "data"
    code, err = run_refused(data, {"SIMFRA_PERSISTENCE_KEY": bad})
    assert code == 2
    assert "SIMFRA_PERSISTENCE_KEY" in err
    assert len(err.strip().splitlines()) == 1
    assert not data.exists()


def test_corrupt_database_refused_untouched(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"this is not sqlite at all" * 100
    (data / "simfra.db").write_bytes(garbage)
    code, err = run_refused(data, {})
    assert code == 2 and "simfra.db" in err
    assert (data / "simfra.db").read_bytes() == garbage


def test_truncated_database_refused(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    assert s.stop() == 0
    for extra in ("simfra.db-wal", "simfra.db-shm"):
        if (data / extra).exists():
            (data / extra).unlink()
    db = (data / "simfra.db").read_bytes()
    (data / "simfra.db").write_bytes(db[: len(db) // 2 + 7])
    before = dir_digest(data)
    code, err = run_refused(data, {})
    assert code == 2
    assert dir_digest(data) == before


def test_newer_schema_refused(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    assert s.stop() == 0
    db = sqlite3.connect(str(data / "simfra.db"))
    db.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
    db.commit()
    db.close()
    code, err = run_refused(data, {})
    assert code == 2 and "newer" in err.lower()
