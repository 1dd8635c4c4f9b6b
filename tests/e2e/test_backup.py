"""`simfra backup <dir>` (issue 10): a consistent online snapshot of SIMFRA_DATA_DIR taken
while the server runs and writes, that a new Simfra starts from and serves completely.
"""
import os
import stat
import subprocess
import threading
import time

import pytest

from conftest import find_simfra_bin, make_client
from test_data_safety import check_copy, prefill, write_load


def run_backup(data_dir, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMFRA_")}
    if data_dir is not None:
        env["SIMFRA_DATA_DIR"] = str(data_dir)
    p = subprocess.run([str(find_simfra_bin()), "backup", *map(str, args)], env=env,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_backup_under_write_load_serves_everything(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    make_client(s.url, "s3").create_bucket(Bucket="live")
    # Something from another service too: the whole database is in the snapshot.
    make_client(s.url, "sqs").create_queue(QueueName="kept-queue")
    clients = [make_client(s.url, "s3") for _ in range(5)]
    prefill(clients)
    stop = threading.Event()
    errors = []
    threads = [threading.Thread(target=write_load, args=(c, stop, errors, 10 + i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    try:
        backups = []
        for i in range(3):
            time.sleep(0.5)
            dst = tmp_path / f"backup{i}"
            code, out, err = run_backup(data, dst)
            assert code == 0, err
            assert out.startswith("simfra: backed up"), out
            backups.append(dst)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]
    assert s.alive
    for b in backups:
        key = b / ".master_key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_bytes() == (data / ".master_key").read_bytes()
        assert not (b / "simfra.lock").exists()
        assert check_copy(server_factory, b) > 0
    restored = server_factory(data_dir=backups[-1])
    assert any(u.endswith("/kept-queue") for u in make_client(restored.url, "sqs").list_queues()["QueueUrls"])


def test_backup_of_a_stopped_dir_and_refusals(server_factory, tmp_path):
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    s3 = make_client(s.url, "s3")
    s3.create_bucket(Bucket="stopped")
    s3.put_object(Bucket="stopped", Key="k", Body=b"hello")
    s.stop()

    code, _, err = run_backup(data, tmp_path / "out")
    assert code == 0, err
    restored = server_factory(data_dir=tmp_path / "out")
    assert make_client(restored.url, "s3").get_object(Bucket="stopped", Key="k")["Body"].read() == b"hello"

    # Refusals: one line, exit 2, nothing written.
    nonempty = tmp_path / "nonempty"
    nonempty.mkdir()
    (nonempty / "x").write_text("x")
    for args, data_dir, needle in [
        ((nonempty,), data, "is not empty"),
        ((tmp_path / "fresh",), None, "set SIMFRA_DATA_DIR"),
        ((tmp_path / "fresh2",), tmp_path / "nowhere", "not a Simfra data directory"),
        ((), data, "usage"),
    ]:
        code, _, err = run_backup(data_dir, *args)
        assert code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("simfra: ") and needle in lines[0], err
    assert os.listdir(nonempty) == ["x"]
    assert not (tmp_path / "fresh").exists() and not (tmp_path / "fresh2").exists()
