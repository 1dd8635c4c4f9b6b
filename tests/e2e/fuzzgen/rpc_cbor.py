"""rpcv2Cbor (CloudWatch speaks it; decoded, then 501 until implemented): malformed,
truncated, deeply nested and oversized CBOR."""

from __future__ import annotations

import random
from typing import Iterator

from . import cbor
from . import mutate as m
from .engine import Case, Ctx, serialize, sign

SERVICE_PATH = "/service/GraniteServiceVersion20100801/operation/"

INPUTS = [
    ("GetMetricData", {"MetricDataQueries": [{"Id": "q", "MetricStat": {
        "Metric": {"Namespace": "n", "MetricName": "m", "Dimensions": [{"Name": "a", "Value": "b"}]},
        "Period": 60, "Stat": "Sum"}}], "StartTime": 1.5e9, "EndTime": 1.6e9}),
    ("PutMetricData", {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.5, "Unit": "Count",
                                                         "Values": [1.0, 2.0], "Counts": [1.0, 1.0]}]}),
    ("ListMetrics", {"Namespace": "n", "NextToken": "t"}),
    ("PutMetricAlarm", {"AlarmName": "a", "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
                        "Threshold": 1.0, "Tags": [{"Key": "k", "Value": "v"}]}),
    # Handlers now run for these: statistics, math, alarm rules and dashboard bodies.
    ("GetMetricStatistics", {"Namespace": "n", "MetricName": "m", "StartTime": 1.5e9, "EndTime": 1.6e9, "Period": 60,
                             "ExtendedStatistics": ["p99.9", "tm(10%:90%)"]}),
    ("GetMetricData", {"MetricDataQueries": [
        {"Id": "a", "MetricStat": {"Metric": {"Namespace": "n", "MetricName": "m"}, "Period": 1, "Stat": "p50"}},
        {"Id": "e", "Expression": "FILL(RATE(a), REPEAT) * -(SUM(METRICS()) ^ 2) / 0"}],
        "StartTime": 0.0, "EndTime": 4.0e9, "MaxDatapoints": 5, "NextToken": "9"}),
    ("PutMetricAlarm", {"AlarmName": "m", "EvaluationPeriods": 100000, "ComparisonOperator": "LessThanThreshold",
                        "Threshold": -1.0e308, "DatapointsToAlarm": 99999, "Metrics": [{"Id": "x", "Expression": "1/0"}]}),
    ("PutCompositeAlarm", {"AlarmName": "c", "AlarmRule": "NOT (ALARM(a) OR OK(\"b\")) AND TRUE"}),
    ("DescribeAlarms", {"AlarmTypes": ["CompositeAlarm", "MetricAlarm"], "ChildrenOfAlarmName": "c", "MaxRecords": 1,
                        "NextToken": "1"}),
    ("PutDashboard", {"DashboardName": "d", "DashboardBody": "{\"widgets\": [{\"type\": \"metric\", \"x\": \"a\"}]}"}),
    # Math beyond arithmetic: logic, SEARCH's own grammar, array functions, anomaly bands.
    ("GetMetricData", {"MetricDataQueries": [
        {"Id": "a", "MetricStat": {"Metric": {"Namespace": "n", "MetricName": "m"}, "Period": 60, "Stat": "Sum"}},
        {"Id": "b", "Expression": "ANOMALY_DETECTION_BAND(a, 3)"},
        {"Id": "s", "Expression": "SEARCH('{n,\"d im\"} (m OR \"x\") AND NOT MetricName=\"y\"', 'p99', 60)", "Period": 60},
        {"Id": "e", "Expression": "IF(a > 1 AND !(a == 2) || NOT a, SLICE(SORT(METRICS(), STDDEV, DESC, 2), 0, 9), LOG(a))"}],
        "StartTime": 1.5e9, "EndTime": 1.6e9}),
    ("PutAnomalyDetector", {"SingleMetricAnomalyDetector": {"Namespace": "n", "MetricName": "m", "Stat": "p90",
                                                            "Dimensions": [{"Name": "a", "Value": "b"}]},
                            "Configuration": {"ExcludedTimeRanges": [{"StartTime": 1.6e9, "EndTime": 1.5e9}]}}),
    ("PutAnomalyDetector", {"MetricMathAnomalyDetector": {"MetricDataQueries": [{"Id": "e", "Expression": "SEARCH('x', 'Sum')"}]}}),
    ("DescribeAnomalyDetectors", {"AnomalyDetectorTypes": ["METRIC_MATH"], "MaxResults": 1, "NextToken": "1"}),
    ("DeleteAnomalyDetector", {"Namespace": "n", "MetricName": "m", "Stat": "Sum"}),
    ("GetMetricWidgetImage", {"OutputFormat": "png", "MetricWidget": (
        '{"metrics": [["n", "m", "d", "v", {"stat": "p99", "color": "#fff"}], ["...", "w"], [".", "x", ".", "."],'
        ' [{"expression": "SUM(METRICS())", "id": "e"}]], "width": 2000, "height": 2000, "start": "-P14D", "end": "P0D",'
        ' "period": 1, "yAxis": {"left": {"min": 1e308, "max": -1e308}}, "annotations": {"horizontal": [{"value": -1e308}]}}')}),
    ("GetMetricWidgetImage", {"MetricWidget": "[" * 100000}),
]

HOSTILE = [
    (b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", "byte string of length 2^64-1"),
    (b"\x7a\xff\xff\xff\xff" + b"a", "text string of length 2^32-1"),
    (b"\x9b\x00\x00\x00\x01\x00\x00\x00\x00", "array of 2^32 items"),
    (b"\xbb\x7f\xff\xff\xff\xff\xff\xff\xff", "map of 2^63 pairs"),
    (b"\x62\xff\xfe", "text string with invalid UTF-8"),
    (b"\xa1\x62\xc3\x28\x01", "map key with invalid UTF-8"),
    (b"\x7f\x61a\x41b\xff", "indefinite text with a byte-string chunk"),
    (b"\x5f\x5f\xff\xff", "nested indefinite byte strings"),
    (b"\x9f\x01\x02", "indefinite array without break"),
    (b"\xff", "lone break"),
    (b"\x1c", "reserved additional info 28"),
    (b"\xfc", "reserved simple 28"),
    (b"\xf8\x10", "two-byte simple value < 32"),
    (b"\xf9\x7e\x00", "half NaN"),
    (b"\xa1\x01\x02", "map with an integer key"),
    (b"\xa1\xa0\x01", "map with a map key"),
    (b"\xa2\x61a\x01\x61a\x02", "duplicate map keys"),
    (b"\xc2\x49" + b"\x01" * 9, "bignum"),
    (b"\xd8\x20\x61x", "URI tag"),
    (b"\xa0\x00", "trailing item"),
    (b"", "empty body"),
    (b"\x00", "integer at the top"),
]


def _hostile_deep(rng: random.Random) -> tuple[bytes, str]:
    d = m.pick_depth(rng)
    k = rng.randrange(5)
    if k == 0:
        return b"\x81" * d + b"\x00", f"array nested {d}"
    if k == 1:
        return b"\xa1\x61a" * d + b"\x00", f"map nested {d}"
    if k == 2:
        return b"\x9f" * d, f"indefinite arrays nested {d}, no breaks"
    if k == 3:
        return b"\xc1" * d + b"\x00", f"{d} chained tags"
    return b"\xbf\x61a" * d + b"\x00" + b"\xff" * d, f"indefinite maps nested {d}"


def _wrap_member(doc_bytes: bytes, inner: bytes) -> bytes:
    """A map {"NextToken": <inner>, ...} so hostile items sit where a member is expected."""
    return b"\xa1\x69NextToken" + inner


def _case(ctx: Ctx, op: str, body: bytes, name: str, desc: str) -> Case:
    target = SERVICE_PATH + op
    h = sign("POST", ctx.netloc, target, "monitoring", body,
             {"Content-Type": "application/cbor", "Accept": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
    return Case(serialize("POST", target, h, body), "cbor", name, f"CloudWatch {op}: {desc}")


def gen_cbor(rng: random.Random, ctx: Ctx) -> Iterator[Case]:
    big = cbor.encode({"Namespace": "n" * (20 * 1024 * 1024 + 10)})
    yield _case(ctx, "ListMetrics", big, "cbor:oversized", f"{len(big)} bytes")
    while True:
        op, doc = rng.choice(INPUTS)
        valid = cbor.encode(doc)
        r = rng.random()
        if r < 0.2:
            h, desc = rng.choice(HOSTILE)
            body = h if rng.random() < 0.5 else _wrap_member(valid, h)
            yield _case(ctx, op, body, f"cbor:{m.klass(desc, 30)}", desc)
        elif r < 0.4:
            h, desc = _hostile_deep(rng)
            body = h if rng.random() < 0.5 else _wrap_member(valid, h)
            yield _case(ctx, op, body, f"cbor:{m.klass(desc, 30)}", desc)
        elif r < 0.5:
            # type confusion: a valid item of the wrong major type in every member
            wrong = rng.choice([1, -1, "s", b"b", [1], {"a": 1}, None, True, 1.5, 2 ** 63, -(2 ** 63)])
            body = cbor.encode({k: wrong for k in doc})
            yield _case(ctx, op, body, "cbor:wrong-types", f"every member {wrong!r}")
        else:
            body, desc = m.generic(rng, valid)
            yield _case(ctx, op, body, f"cbor:{m.klass(desc, 30)}", desc)
