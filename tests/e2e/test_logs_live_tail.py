"""CloudWatch Logs Live Tail end to end with boto3: StartLiveTail answers an event stream
(initial response, sessionStart, then a sessionUpdate every second) over plain HTTP/1.1,
chunked; events put while a reader holds the stream arrive in updates, filtered by stream
names, prefixes and the filter pattern; closing the stream ends the session; bad requests
get AWS's errors before any stream starts.

boto3 puts the model's host prefix (`stream-`) in front of the endpoint's host; against a
local endpoint that is turned off with `Config(inject_host_prefix=False)`.
"""
from __future__ import annotations

import threading
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import ACCOUNT_ID, REGION, unique_name


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def tail_client(client):
    return client("logs", config=Config(inject_host_prefix=False, read_timeout=30))


def now_ms():
    return int(time.time() * 1000)


def make_group(logs, streams=("s",)):
    g = unique_name("/app/tail")
    logs.create_log_group(logGroupName=g)
    for s in streams:
        logs.create_log_stream(logGroupName=g, logStreamName=s)
    return g


def arn(group):
    return f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}"


def collect(stream, want, timeout=15.0):
    """Reads updates until `want` messages arrived (or the time is up): (start, messages, updates)."""
    start, messages, updates = None, [], 0
    deadline = time.monotonic() + timeout
    for event in stream:
        if "sessionStart" in event:
            start = event["sessionStart"]
        elif "sessionUpdate" in event:
            updates += 1
            messages += [(e["logStreamName"], e["message"], e["logGroupIdentifier"])
                         for e in event["sessionUpdate"].get("sessionResults", [])]
        if len(messages) >= want or time.monotonic() > deadline:
            break
    return start, messages, updates


def put_later(logs, group, batches, delay=1.2):
    def run():
        time.sleep(delay)
        for stream, message in batches:
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=[{"timestamp": now_ms(), "message": message}])
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_live_tail_streams_matching_events_as_they_are_put(logs, tail_client):
    g = make_group(logs, ("web-1", "web-2", "worker"))
    # Put before the session: not part of it.
    logs.put_log_events(logGroupName=g, logStreamName="web-1", logEvents=[{"timestamp": now_ms(), "message": "ERROR before"}])
    r = tail_client.start_live_tail(logGroupIdentifiers=[arn(g)], logStreamNamePrefixes=["web-"],
                                    logEventFilterPattern="ERROR")
    stream = r["responseStream"]
    writer = put_later(logs, g, [("web-1", "ERROR one"), ("web-2", "INFO skip"), ("worker", "ERROR other stream"),
                                 ("web-2", "ERROR two")])
    start, messages, updates = collect(stream, 2)
    stream.close()
    writer.join()
    assert start["logGroupIdentifiers"] == [arn(g)]
    assert start["logStreamNamePrefixes"] == ["web-"]
    assert start["logEventFilterPattern"] == "ERROR"
    assert start["sessionId"] and start["requestId"]
    assert messages == [("web-1", "ERROR one", arn(g)), ("web-2", "ERROR two", arn(g))]
    assert updates >= 1


def test_live_tail_sends_an_update_every_second_and_json_patterns(logs, tail_client):
    g = make_group(logs, ("a",))
    r = tail_client.start_live_tail(logGroupIdentifiers=[g], logStreamNames=["a"],
                                    logEventFilterPattern='{ $.status >= 500 }')
    stream = r["responseStream"]
    t0 = time.monotonic()
    empty = 0
    for event in stream:
        if "sessionUpdate" in event:
            assert event["sessionUpdate"]["sessionResults"] == []
            assert event["sessionUpdate"]["sessionMetadata"] == {"sampled": False}
            empty += 1
            if empty == 2:
                break
    elapsed = time.monotonic() - t0
    assert 1.5 < elapsed < 6, elapsed  # heartbeats come once a second
    writer = put_later(logs, g, [("a", '{"status":200}'), ("a", '{"status":503,"path":"/x"}')], delay=0.2)
    _, messages, _ = collect(stream, 1)
    stream.close()
    writer.join()
    assert [m[1] for m in messages] == ['{"status":503,"path":"/x"}']
    assert messages[0][2] == g  # the identifier as the client gave it


def test_closing_the_stream_ends_the_session(logs, tail_client, server):
    g = make_group(logs)
    for _ in range(3):
        r = tail_client.start_live_tail(logGroupIdentifiers=[arn(g)])
        stream = r["responseStream"]
        next(iter(stream))  # sessionStart
        stream.close()
    # The server keeps serving on other connections, and a new session still works.
    r = tail_client.start_live_tail(logGroupIdentifiers=[arn(g)])
    stream = r["responseStream"]
    put_later(logs, g, [("s", "after")], delay=0.3).join()
    _, messages, _ = collect(stream, 1)
    stream.close()
    assert [m[1] for m in messages] == ["after"]
    assert server.alive


@pytest.mark.parametrize("kwargs, code, fragment", [
    # The model's length limit, checked by the protocol codec before the service sees it.
    ({"logGroupIdentifiers": [f"g{i}" for i in range(11)]}, "ValidationException",
     "Member must have length less than or equal to 10"),
    ({"logGroupIdentifiers": ["/nope/" + "x"]}, "ResourceNotFoundException", "The specified log group does not exist."),
    # Another account's group: the authoriser refuses it (no resource policy of that account allows it).
    ({"logGroupIdentifiers": [f"arn:aws:logs:{REGION}:111122223333:log-group:other"]}, "AccessDeniedException",
     "is not authorized to perform: logs:StartLiveTail"),
])
def test_live_tail_errors(tail_client, kwargs, code, fragment):
    with pytest.raises(ClientError) as e:
        tail_client.start_live_tail(**kwargs)
    assert e.value.response["Error"]["Code"] == code
    assert fragment in e.value.response["Error"]["Message"]


def test_live_tail_parameter_rules(logs, tail_client):
    g1, g2 = make_group(logs), make_group(logs)
    with pytest.raises(ClientError) as e:
        tail_client.start_live_tail(logGroupIdentifiers=[g1, g2], logStreamNames=["s"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        tail_client.start_live_tail(logGroupIdentifiers=[g1], logStreamNames=["s"], logStreamNamePrefixes=["s"])
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        tail_client.start_live_tail(logGroupIdentifiers=[g1], logEventFilterPattern="{ $.a = ")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
