"""CloudWatch metric math end to end: IF with comparisons and logic, SEARCH over the metric
store, the array functions, AWS's refusal of SEARCH in alarms; EvaluateLowSampleCountPercentile
in a running alarm; anomaly detectors (lifecycle, persistence contract) and
ANOMALY_DETECTION_BAND in GetMetricData and in an alarm that goes to ALARM on its own.
"""
from __future__ import annotations

import datetime as dt
import signal
import time

import pytest
from botocore.exceptions import ClientError

from conftest import make_client, unique_name
from persistence_contract import run_contract


@pytest.fixture
def cw(client):
    return client("cloudwatch")


def minute():
    t = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    return t


def stat(qid, ns, name, stat="Sum", dims=None, ret=False):
    metric = {"Namespace": ns, "MetricName": name}
    if dims:
        metric["Dimensions"] = [{"Name": k, "Value": v} for k, v in dims.items()]
    return {"Id": qid, "MetricStat": {"Metric": metric, "Period": 60, "Stat": stat}, "ReturnData": ret}


def data(cw, queries, start, end):
    out = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    return {r["Label"]: r["Values"] for r in out["MetricDataResults"]}


def test_if_comparisons_and_functions(cw):
    ns = unique_name("Math")
    t0 = minute() - dt.timedelta(minutes=3)
    for k, (e, r) in enumerate([(1, 10), (5, 10), (0, 4)]):
        at = t0 + dt.timedelta(minutes=k, seconds=1)
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Errors", "Value": e, "Timestamp": at},
                                                     {"MetricName": "Requests", "Value": r, "Timestamp": at}])
    q = [stat("e", ns, "Errors"), stat("r", ns, "Requests"),
         {"Id": "hot", "Expression": "IF(e / r > 0.2 AND r >= 10, 1, 0)", "Label": "hot"},
         {"Id": "only", "Expression": "IF(e != 0, e)", "Label": "only"},
         {"Id": "ceil", "Expression": "CEIL(e / 2) + FLOOR(r / 3)", "Label": "ceil"},
         {"Id": "run", "Expression": "RUNNING_SUM(e)", "Label": "run"},
         {"Id": "top", "Expression": "SLICE(SORT(METRICS(), SUM, DESC), 0, 1)", "Label": "top"},
         {"Id": "n", "Expression": "NOT (e > 0) || r < 5", "Label": "n"}]
    got = data(cw, q, t0, t0 + dt.timedelta(minutes=3))
    assert got["hot"] == [0, 1, 0]
    assert got["only"] == [1, 5]
    assert got["ceil"] == [4, 6, 1]
    assert got["run"] == [1, 6, 6]
    assert got["top Requests"] == [10, 10, 4]
    assert got["n"] == [0, 0, 1]


def test_search(cw):
    ns = unique_name("Search")
    at = minute() - dt.timedelta(minutes=1)
    ts = at + dt.timedelta(seconds=5)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "CPUUtilization", "Value": 10, "Timestamp": ts, "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
        {"MetricName": "CPUUtilization", "Value": 30, "Timestamp": ts, "Dimensions": [{"Name": "InstanceId", "Value": "i-2"}]},
        {"MetricName": "CPUUtilization", "Value": 50, "Timestamp": ts, "Dimensions": [{"Name": "InstanceType", "Value": "t2.micro"}]},
        {"MetricName": "NetworkIn", "Value": 7, "Timestamp": ts, "Dimensions": [{"Name": "InstanceId", "Value": "i-1"}]},
    ])
    end = at + dt.timedelta(minutes=1)
    got = data(cw, [{"Id": "s", "Expression": f"SEARCH('{{{ns},InstanceId}} MetricName=\"CPUUtilization\"', 'Average', 60)"}], at, end)
    assert got == {"CPUUtilization i-1": [10], "CPUUtilization i-2": [30]}
    # Partial terms (camel-case tokens, any case), OR, NOT, and a function over the array.
    got = data(cw, [{"Id": "s", "Expression": f"SEARCH('{ns} cpu NOT \"i-2\"', 'Sum', 60)"}], at, end)
    assert got == {"CPUUtilization i-1": [10], "CPUUtilization t2.micro": [50]}
    got = data(cw, [{"Id": "s", "Expression": f"SUM(SEARCH('{{{ns},InstanceId}} CPUUtilization OR NetworkIn', 'Sum', 60))",
                     "Label": "all"}], at, end)
    assert got == {"all": [47]}
    with pytest.raises(ClientError) as e:
        cw.get_metric_data(MetricDataQueries=[{"Id": "s", "Expression": "SEARCH('{Ns', 'Sum')"}], StartTime=at, EndTime=end)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(AlarmName=unique_name("s"), EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanThreshold",
                            Metrics=[{"Id": "s", "Expression": f"MAX(SEARCH('{{{ns},InstanceId}} cpu', 'Sum', 60))"}])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "SEARCH" in e.value.response["Error"]["Message"]


def test_bad_expressions(cw):
    at = minute()
    for expr in ["IF(1)", "NOPE(1)", "1 +", "SORT(METRICS(), FOO, ASC)"]:
        with pytest.raises(ClientError) as e:
            cw.get_metric_data(MetricDataQueries=[{"Id": "x", "Expression": expr}],
                               StartTime=at - dt.timedelta(minutes=1), EndTime=at)
        assert e.value.response["Error"]["Code"] == "ValidationError"
        assert e.value.response["Error"]["Message"].startswith("Error in expression 'x'")


def wait_state(cw, name, want, timeout=30):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        state = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        if state["StateValue"] == want:
            return state
        time.sleep(0.5)
    raise AssertionError(f"{name} is {state and state['StateValue']}, not {want}")


def test_low_sample_percentile(cw):
    ns = unique_name("Low")
    names = {}
    for mode in ["ignore", "evaluate"]:
        names[mode] = unique_name(mode)
        cw.put_metric_alarm(AlarmName=names[mode], Namespace=ns, MetricName="Latency", ExtendedStatistic="p90",
                            Period=10, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
                            EvaluateLowSampleCountPercentile=mode)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Latency", "Values": [50], "Counts": [5]}])
    wait_state(cw, names["evaluate"], "ALARM")
    time.sleep(1)
    described = cw.describe_alarms(AlarmNames=[names["ignore"]])["MetricAlarms"][0]
    assert described["StateValue"] == "INSUFFICIENT_DATA"
    assert described["EvaluateLowSampleCountPercentile"] == "ignore"


def history(cw, ns, now_value):
    """Ten minutes alternating 9 and 11 (mean 10, stddev 1), then the current minute's value."""
    current = minute()
    for k in range(1, 11):
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Latency", "Value": 9 if k % 2 == 0 else 11,
                                                      "Timestamp": current - dt.timedelta(minutes=k) + dt.timedelta(seconds=1)}])
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Latency", "Value": now_value,
                                                  "Timestamp": current + dt.timedelta(seconds=1)}])
    return current


def band_queries(ns):
    return [stat("m1", ns, "Latency", "Average", ret=True), {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}]


def test_anomaly_band_and_alarm(cw):
    ns = unique_name("Anomaly")
    current = history(cw, ns, 50)
    got = data(cw, band_queries(ns), current, current + dt.timedelta(minutes=1))
    assert got == {"Latency": [50], "Latency Lower": [8], "Latency Upper": [12]}
    name = unique_name("band")
    cw.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, ThresholdMetricId="ad1",
                        ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold", Metrics=band_queries(ns))
    alarm = wait_state(cw, name, "ALARM")
    assert alarm["ThresholdMetricId"] == "ad1"
    assert "(8.0, 12.0)" in alarm["StateReason"]
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, ThresholdMetricId="ad1",
                            ComparisonOperator="GreaterThanThreshold", Metrics=band_queries(ns))
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_anomaly_detector_lifecycle(cw):
    ns = unique_name("Det")
    single = {"Namespace": ns, "MetricName": "MyMetric", "Stat": "Sum",
              "Dimensions": [{"Name": "DimensionName", "Value": "DimensionValue"}]}
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single)
    got = cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"]
    # The shape AWS answers (aws-recordings test_anomaly_detector_lifecycle).
    assert got == [{"Configuration": {"ExcludedTimeRanges": []}, "Dimensions": single["Dimensions"], "MetricName": "MyMetric",
                    "Namespace": ns, "SingleMetricAnomalyDetector": {"AccountId": "000000000000", **single},
                    "Stat": "Sum", "StateValue": "PENDING_TRAINING"}]
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    assert cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"] == []
    with pytest.raises(ClientError) as e:
        cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    assert e.value.response["Error"]["Code"] == "ResourceNotFound" or \
        e.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_anomaly_detectors_persist(server_factory, tmp_path, sig):
    def scenario(url):
        cw = make_client(url, "cloudwatch")
        cw.put_anomaly_detector(SingleMetricAnomalyDetector={"Namespace": "P", "MetricName": "a", "Stat": "p99"},
                                Configuration={"ExcludedTimeRanges": [{"StartTime": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                                                                       "EndTime": dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)}],
                                               "MetricTimezone": "Europe/Paris"})
        cw.put_anomaly_detector(MetricMathAnomalyDetector={"MetricDataQueries": [
            stat("m", "P", "b"), {"Id": "e", "Expression": "m / 60", "Label": "per second"}]})
        cw.put_anomaly_detector(Namespace="P", MetricName="gone", Stat="Average")
        cw.delete_anomaly_detector(Namespace="P", MetricName="gone", Stat="Average")

    def snapshot(url):
        cw = make_client(url, "cloudwatch")
        return {"detectors": cw.describe_anomaly_detectors()["AnomalyDetectors"]}

    _, before = run_contract(server_factory, tmp_path, scenario, snapshot, sig=sig)
    assert len(before["detectors"]) == 2


def decode_png(png):
    """Width, height and RGB rows of an 8-bit RGB PNG (the filters a writer may use undone)."""
    import struct
    import zlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert (depth, colour) == (8, 2)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 3
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def test_metric_widget_image(cw):
    import json as _json
    ns = unique_name("Widget")
    now = minute()
    for k in range(10):
        cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Latency", "Value": k * 10,
                                                      "Timestamp": now - dt.timedelta(minutes=10 - k)}])
    widget = {"metrics": [[ns, "Latency", {"color": "#00ff00", "stat": "Maximum"}]], "period": 60, "start": "-PT15M",
              "end": "P0D", "width": 400, "height": 250, "title": "latency",
              "annotations": {"horizontal": [{"value": 45, "color": "#0000ff", "label": "limit"}]}}
    png = cw.get_metric_widget_image(MetricWidget=_json.dumps(widget), OutputFormat="png")["MetricWidgetImage"]
    width, height, rows = decode_png(png)
    assert (width, height) == (400, 250)
    pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), 3)]
    assert sum(p == b"\x00\xff\x00" for p in pixels) > 100   # the series
    assert sum(p == b"\x00\x00\xff" for p in pixels) > 50    # the annotation
    assert sum(p == b"\xff\xff\xff" for p in pixels) > width * height // 2
    with pytest.raises(ClientError) as e:
        cw.get_metric_widget_image(MetricWidget="{not json", OutputFormat="png")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        cw.get_metric_widget_image(MetricWidget=_json.dumps(widget), OutputFormat="svg")
    assert e.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_metric_widget_image_hostile(cw, server):
    import json as _json
    big = {"metrics": [["n", "m", "d", "v", {"stat": "p99"}], ["...", "w"], [{"expression": "SUM(METRICS())", "id": "e"}]],
           "width": 2000, "height": 2000, "start": "-P14D", "period": 1,
           "yAxis": {"left": {"min": 1e308, "max": -1e308}}, "annotations": {"horizontal": [{"value": -1e308}]}}
    width, height, _ = decode_png(cw.get_metric_widget_image(MetricWidget=_json.dumps(big))["MetricWidgetImage"])
    assert (width, height) == (2000, 2000)
    for body in ["[" * 100000, '{"metrics": [["a", "b"]], "width": 0}', '{"metrics": []}', '{"metrics": [["...", "x"]]}']:
        with pytest.raises(ClientError) as e:
            cw.get_metric_widget_image(MetricWidget=body)
        assert e.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert server.alive
