"""The Terraform tier: real `terraform init/apply/plan/destroy` with the hashicorp/aws provider
against a running Simfra.

Each folder under ``configs/`` is one stack. Every stack gets its own fresh Simfra (in memory)
and its own working directory, and all stacks run at the same time: most of a Terraform run is
the provider waiting (SQS alone waits ~25 s per queue for attributes to "propagate"), so running
them side by side keeps the tier's wall time near that of the slowest stack.

The provider comes from the machine's local filesystem mirror, found at run time (never
downloaded, never hard-coded): the first folder holding
``registry.terraform.io/hashicorp/aws/<PROVIDER_VERSION>`` under ``$SIMFRA_TF_MIRROR`` or a
few well-known roots. A missing ``terraform`` binary or mirror fails the tier with a clear
message; nothing is skipped.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

# The e2e suite's server harness, loaded by path (both folders have a conftest.py).
_spec = importlib.util.spec_from_file_location(
    "simfra_e2e_harness", Path(__file__).resolve().parents[1] / "e2e" / "conftest.py")
_harness = importlib.util.module_from_spec(_spec)
sys.modules["simfra_e2e_harness"] = _harness
_spec.loader.exec_module(_harness)
ACCESS_KEY, SECRET_KEY, REGION = _harness.ACCESS_KEY, _harness.SECRET_KEY, _harness.REGION
SimfraServer = _harness.SimfraServer

PROVIDER_VERSION = "5.100.0"
CONFIGS = Path(__file__).resolve().parent / "configs"
STEP_TIMEOUT = 300  # seconds for one terraform command

_MIRROR_ROOTS = ["/opt", "/usr/share", "/usr/local/share", "/usr/local/lib", "/usr/lib",
                 "/var/lib", str(Path.home() / ".terraform.d"),
                 str(Path.home() / ".local/share/terraform")]


def find_provider_mirror() -> Path:
    """The folder that holds ``registry.terraform.io/hashicorp/aws/<version>/``."""
    wanted = Path("registry.terraform.io") / "hashicorp" / "aws" / PROVIDER_VERSION
    roots = [os.environ["SIMFRA_TF_MIRROR"]] if os.environ.get("SIMFRA_TF_MIRROR") else []
    roots += _MIRROR_ROOTS
    for root in roots:
        base = Path(root)
        if not base.is_dir():
            continue
        # Breadth-first, at most four levels below each root.
        frontier = [base]
        for _ in range(5):
            nxt = []
            for d in frontier:
                if (d / wanted).is_dir():
                    return d
                try:
                    nxt += [c for c in d.iterdir() if c.is_dir() and not c.is_symlink()]
                except OSError:
                    pass
            frontier = nxt
    raise RuntimeError(
        f"no local mirror of hashicorp/aws {PROVIDER_VERSION} found (looked for {wanted} under "
        f"{', '.join(roots)}); set SIMFRA_TF_MIRROR to the folder that holds registry.terraform.io/")


def terraform_binary() -> str:
    tf = shutil.which("terraform")
    if not tf:
        raise RuntimeError("terraform is not on the PATH: the Terraform tier needs Terraform >= 1.5 "
                           "and the hashicorp/aws provider in a local filesystem mirror")
    return tf


def write_cli_config(workdir: Path, mirror: Path) -> Path:
    """A CLI config that installs only from the mirror, through a plugin cache whose entry is a
    symlink to the mirror (so `init` links the 700 MB provider instead of copying it)."""
    cache = workdir / "plugin-cache"
    for platform in (mirror / "registry.terraform.io/hashicorp/aws" / PROVIDER_VERSION).iterdir():
        link = cache / "registry.terraform.io/hashicorp/aws" / PROVIDER_VERSION / platform.name
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(platform, target_is_directory=True)
    cfg = workdir / "cli.tfrc"
    cfg.write_text(
        f'plugin_cache_dir = "{cache}"\n'
        "plugin_cache_may_break_dependency_lock_file = true\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n')
    return cfg


@dataclass
class StackRun:
    """What happened to one stack: each step's exit code and output, in order."""
    name: str
    steps: list = field(default_factory=list)  # (step, returncode, output)
    error: Optional[str] = None

    def step(self, name: str):
        for s in self.steps:
            if s[0] == name:
                return s
        return None

    def transcript(self) -> str:
        out = [f"== stack {self.name}"]
        for step, rc, text in self.steps:
            out.append(f"-- terraform {step} (exit {rc})\n{text[-6000:]}")
        if self.error:
            out.append(f"-- error: {self.error}")
        return "\n".join(out)


def run_stack(name: str, tf: str, cli_config: Path, root: Path) -> StackRun:
    """init → apply → plan -detailed-exitcode (0: no drift) → destroy, against a fresh Simfra."""
    run = StackRun(name)
    work = root / name
    shutil.copytree(CONFIGS / name, work)
    # The provider block every stack shares (region and keys from TF_VAR_*, endpoint from the env).
    shutil.copy(CONFIGS.parent / "provider.tf", work / "provider.tf")
    server = None
    try:
        server = SimfraServer.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        env.update({
            "TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1",
            "AWS_ENDPOINT_URL": server.url, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "TF_VAR_access_key": ACCESS_KEY, "TF_VAR_secret_key": SECRET_KEY, "TF_VAR_region": REGION,
        })
        steps = [("init", ["init", "-input=false", "-no-color"]),
                 ("apply", ["apply", "-auto-approve", "-input=false", "-no-color"]),
                 ("plan", ["plan", "-detailed-exitcode", "-input=false", "-no-color"]),
                 ("destroy", ["destroy", "-auto-approve", "-input=false", "-no-color"])]
        for step, args in steps:
            try:
                p = subprocess.run([tf, *args], cwd=work, env=env, capture_output=True, text=True,
                                   timeout=STEP_TIMEOUT)
                run.steps.append((step, p.returncode, p.stdout + p.stderr))
            except subprocess.TimeoutExpired as e:
                run.steps.append((step, -1, f"timed out after {STEP_TIMEOUT}s\n{e.stdout or ''}"))
            rc = run.steps[-1][1]
            # A failed apply still gets a destroy, so the server's state is exercised either way.
            if rc not in (0, 2) or (step == "plan" and rc != 0):
                if step in ("init",):
                    break
        if server.alive is False:
            run.error = "simfra exited during the run\n" + server.stderr_tail()
    except Exception as e:  # noqa: BLE001 - reported per stack
        run.error = repr(e)
    finally:
        if server is not None:
            server.stop()
            server.cleanup()
    return run


def all_stacks() -> list[str]:
    return sorted(p.name for p in CONFIGS.iterdir() if (p / "main.tf").is_file())


def new_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="simfra-tf-"))
