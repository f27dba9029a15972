"""The production image carries what the services and the operators' image tools (reconcile,
purge) need, and not the benchmark's and simulation's libraries (ops' `bench` extra, some
150 MB with numpy and matplotlib): checked on the lock file, as the image resolves it, and
on the image itself, rebuilt from deploy/Dockerfile (dockerfile_replay)."""

from __future__ import annotations

import re
import shutil
import subprocess

from .conftest import REPO
from .dockerfile_replay import Replayed

# What only `make bench` and `make simulate` use (ops/pyproject.toml, extra `bench`), with
# the largest of what they bring along.
BENCH_ONLY = {"matplotlib", "numpy", "pillow", "psutil", "rich"}
IMAGE_TOOLS = ["opd_ops.reconcile", "opd_ops.purge", "booking_gateway.main", "allocator.main",
               "queue_view.main", "analytics.main"]


def exported(*groups: str) -> set[str]:
    """Package names `uv export` resolves from uv.lock with these options."""
    uv = shutil.which("uv") or "uv"
    listed = subprocess.run([uv, "export", "--frozen", "--no-hashes", "--no-emit-workspace",
                             *groups], cwd=REPO, capture_output=True, text=True, check=True)
    return {re.split(r"[=<>;\s]", line, maxsplit=1)[0].lower()
            for line in listed.stdout.splitlines() if line and line[0].isalnum()}


def test_the_images_dependency_set_leaves_the_bench_tools_out_and_dev_has_them():
    image = exported("--no-default-groups")
    developer = exported()

    assert developer >= BENCH_ONLY  # `make install` still has them, so the check can fail
    assert image & BENCH_ONLY == set()
    assert {"fastapi", "uvicorn", "asyncpg", "aio-pika", "sqlalchemy"} <= image


def test_the_dockerfile_installs_without_the_default_groups():
    syncs = [line for line in (REPO / "deploy" / "Dockerfile").read_text().splitlines()
             if "uv sync --" in line and not line.lstrip().startswith("#")]

    assert len(syncs) == 2
    assert all("--no-default-groups" in line and "--group" not in line for line in syncs)


def test_the_image_imports_its_tools_and_not_the_bench_libraries(replayed_image: Replayed):
    python = shutil.which("python", path=replayed_image.env["PATH"])
    probe = ("import importlib, importlib.util, sys\n"
             "for name in sys.argv[1].split(','): importlib.import_module(name)\n"
             "print(','.join(n for n in sys.argv[2].split(',') if importlib.util.find_spec(n)))")
    modules = {"matplotlib", "numpy", "PIL", "aiohttp", "psutil", "rich"}

    found = subprocess.run(
        [str(python), "-c", probe, ",".join(IMAGE_TOOLS), ",".join(sorted(modules))],
        cwd=replayed_image.workdir, env=replayed_image.env, capture_output=True, text=True,
        check=False)

    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""
