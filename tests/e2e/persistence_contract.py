"""The persistence contract every service passes (issue 3).

Run a scenario of API calls against a server with a data dir, stop it (SIGTERM or SIGKILL),
start a new process on the same dir, and compare every Describe/List/Get response before and
after, ignoring only what AWS itself regenerates (request ids, retry counts).

    def scenario(url): ...create resources with boto3 against url...
    def snapshot(url) -> dict: ...every Describe/List/Get response, normalised...
    run_contract(server_factory, tmp_path, scenario, snapshot, sig=signal.SIGKILL)
"""
import signal

VOLATILE_KEYS = {"ResponseMetadata", "RequestId", "RetryAttempts", "HTTPHeaders"}


def normalise(value):
    """Drop response metadata so two snapshots compare on resource state alone."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def run_contract(server_factory, tmp_path, scenario, snapshot, sig=signal.SIGTERM, env=None):
    data = tmp_path / "data"
    first = server_factory(data_dir=data, env=env)
    scenario(first.url)
    before = normalise(snapshot(first.url))
    if sig == signal.SIGKILL:
        first.kill()
    else:
        assert first.stop(sig) == 0
    second = server_factory(data_dir=data, env=env)
    after = normalise(snapshot(second.url))
    assert after == before
    return second, before
