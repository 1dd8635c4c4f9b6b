"""Every stack under configs/ applies, shows no drift on the next plan, and destroys."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tfstack import all_stacks, find_provider_mirror, new_root, run_stack, terraform_binary, write_cli_config

STACKS = all_stacks()


@pytest.fixture(scope="module")
def results():
    tf = terraform_binary()
    mirror = find_provider_mirror()
    root = new_root()
    cli = write_cli_config(root, mirror)
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(STACKS))) as pool:
            runs = list(pool.map(lambda n: run_stack(n, tf, cli, root), STACKS))
        yield {r.name: r for r in runs}
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_applies_without_drift_and_destroys(results, stack):
    run = results[stack]
    assert run.error is None, run.transcript()
    for step, want in (("init", (0,)), ("apply", (0,)), ("plan", (0,)), ("destroy", (0,))):
        s = run.step(step)
        assert s is not None, f"{step} did not run\n" + run.transcript()
        assert s[1] in want, f"terraform {step} exited {s[1]} (plan: 2 means drift)\n" + run.transcript()
