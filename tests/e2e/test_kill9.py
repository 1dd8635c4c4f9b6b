"""kill -9 in the middle of a stream of acknowledged writes loses none of them (issue 3).

Four writer threads put distinct DynamoDB items and SQS queues as fast as they can; at a
random moment the server is SIGKILLed. Every write that got a 200 must be there after a
restart on the same data dir. Twenty random kill points.
"""
import random
import threading
import time

import botocore.exceptions
import pytest

from conftest import make_client

ROUNDS = 20


def _writer(ddb, prefix, acked, stop):
    i = 0
    while not stop.is_set():
        key = f"{prefix}-{i}"
        try:
            ddb.put_item(TableName="k9", Item={"pk": {"S": key}, "n": {"N": str(i)}})
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError,
                botocore.exceptions.ReadTimeoutError, ConnectionError):
            return
        except botocore.exceptions.ClientError:
            return
        acked.append(key)
        i += 1


def _queue_writer(sqs, prefix, acked, stop):
    i = 0
    while not stop.is_set():
        name = f"{prefix}-{i}"
        try:
            sqs.create_queue(QueueName=name)
        except Exception:
            return
        acked.append(name)
        i += 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_kill9_loses_no_acknowledged_write(server_factory, tmp_path, round_):
    rng = random.Random(round_)
    data = tmp_path / "data"
    s = server_factory(data_dir=data)
    make_client(s.url, "dynamodb").create_table(
        TableName="k9", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    acked_items, acked_queues = [], []
    stop = threading.Event()
    # Clients are built first (loading botocore models takes a while); the kill lands at a
    # random moment once the stream of acknowledged writes is flowing.
    clients = [make_client(s.url, "dynamodb") for _ in range(3)]
    threads = [threading.Thread(target=_writer, args=(c, f"w{t}", acked_items, stop)) for t, c in enumerate(clients)]
    threads.append(threading.Thread(target=_queue_writer, args=(make_client(s.url, "sqs"), "q", acked_queues, stop)))
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acked_items) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(rng.uniform(0.05, 0.8))
    s.kill()  # SIGKILL while requests are in flight
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert acked_items, "no write was acknowledged before the kill"

    s2 = server_factory(data_dir=data)
    ddb = make_client(s2.url, "dynamodb")
    present = set()
    for page in ddb.get_paginator("scan").paginate(TableName="k9"):
        present.update(item["pk"]["S"] for item in page["Items"])
    missing = [k for k in acked_items if k not in present]
    assert not missing, f"{len(missing)} acknowledged items lost, e.g. {missing[:5]}"
    queues = set(u.rsplit("/", 1)[1] for u in make_client(s2.url, "sqs").list_queues(MaxResults=1000).get("QueueUrls", []))
    lost = [q for q in acked_queues if q not in queues]
    assert not lost, f"{len(lost)} acknowledged queues lost, e.g. {lost[:5]}"
