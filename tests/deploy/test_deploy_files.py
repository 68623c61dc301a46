"""The deploy files checked without Docker: Dockerfile, compose.yaml, .env.example and the lock files.

No image can be built here (no Docker daemon, no registry for the base image), so these tests check what
the files promise against the code: a non-root image that installs exactly the lock file, a health
check on /readyz at the port the command serves, web and worker commands the CLI accepts, and only
environment variables that Settings reads. `docker-compose config -q` validates compose.yaml when
docker-compose is installed (`.ci/run` installs it from apt when it can).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli.main import build_parser
from bot.domain.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
Instruction = tuple[str, str]


def dockerfile() -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line[:-1]}" if line.endswith("\\") else f"{pending} {line}"
        if not line.endswith("\\"):
            keyword, _, args = pending.strip().partition(" ")
            instructions.append((keyword.upper(), args.strip()))
            pending = ""
    return instructions


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def serve_args(argv: list[str]) -> Any:
    """The parsed `python -m bot …` command line (argparse exits on anything the CLI rejects)."""
    assert argv[:3] == ["python", "-m", "bot"], argv
    return build_parser().parse_args(argv[3:])


def probed_port(command: str, path: str) -> int:
    found = re.search(rf"http://127\.0\.0\.1:(\d+){re.escape(path)}", command)
    assert found, f"no probe of {path} in {command!r}"
    return int(found.group(1))


def test_the_image_runs_as_a_non_root_user_and_checks_readyz() -> None:
    steps = dockerfile()
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    [health] = [args for keyword, args in steps if keyword == "HEALTHCHECK"]
    [cmd] = [args for keyword, args in steps if keyword == "CMD"]
    args = serve_args(json.loads(cmd))
    assert (args.command, args.role) == ("serve", "web")
    assert probed_port(health, "/readyz") == args.port
    assert [args for keyword, args in steps if keyword == "EXPOSE"] == [str(args.port)]


def test_the_image_installs_exactly_the_lock_file() -> None:
    runs = [shlex.split(args) for keyword, args in dockerfile() if keyword == "RUN"]
    copied = [args.split() for keyword, args in dockerfile() if keyword == "COPY"]
    assert any("requirements.lock" in sources for sources in copied)
    installs = [run[run.index("install") :] for run in runs if "pip" in run and "install" in run]
    assert installs[0][:3] == ["install", "-r", "requirements.lock"]
    for install in installs[1:]:  # the project itself: no resolver, so nothing unlocked slips in
        assert "--no-deps" in install, install
    assert "requirements.lock" not in (ROOT / ".dockerignore").read_text(encoding="utf-8")


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {canonicalize_name(m[0]): m[1] for m in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", text, re.M)}


def test_the_lock_files_pin_every_dependency_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    stale = "regenerate the locks: `make lock` (see the command at the top of each lock file)"
    for pins, wanted in (
        (runtime, project["dependencies"] + extras["postgres"]),
        (dev, project["dependencies"] + extras["dev"]),
    ):
        for requirement in map(Requirement, wanted):
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement.name} is not locked; {stale}"
            assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}: {stale}"
    assert {name: v for name, v in runtime.items() if dev.get(name) != v} == {}, "the locks disagree"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        assert "pip-compile" in (ROOT / lock).read_text(encoding="utf-8").split("\n\n")[0]


def test_compose_runs_the_web_and_worker_roles_the_cli_knows() -> None:
    services = compose()["services"]
    web, worker = serve_args(services["web"]["command"]), serve_args(services["worker"]["command"])
    assert (web.command, web.role, worker.command, worker.role) == ("serve", "web", "serve", "worker")
    assert f"{web.port}:{web.port}" in services["web"]["ports"]
    # the image's HEALTHCHECK probes the web port; the worker's own probe must follow its --port
    probe = " ".join(services["worker"]["healthcheck"]["test"])
    assert probed_port(probe, "/readyz") == worker.port
    for role in ("web", "worker"):
        assert services[role]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[role]["environment"]["DATABASE_URL"].startswith("postgresql://")


class _Recording(dict[str, str]):
    """An environment that notes every variable Settings.from_env asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def test_every_variable_the_deploy_files_set_is_read_by_settings() -> None:
    env = _Recording()
    Settings.from_env(env)
    services = compose()["services"]
    set_by_compose = {name for role in ("web", "worker") for name in services[role].get("environment", {})}
    set_by_image = {
        args.split("=", 1)[0]
        for keyword, line in dockerfile()
        if keyword == "ENV"
        for args in shlex.split(line)
        if not args.startswith(("PYTHON", "PIP_"))  # the interpreter's and pip's own
    }
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.M))
    assert set_by_image == {"LOCAL_MODEL_PATH", "ROUTING_RULES"}
    assert set_by_compose | set_by_image | documented <= env.asked
    assert "DATABASE_URL" in set_by_compose


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")  # env_file: .env must exist
    done = subprocess.run(
        ["docker-compose", "-f", str(tmp_path / "compose.yaml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
