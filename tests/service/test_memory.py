"""A worker gives freed memory back: glibc's malloc is tuned once at start (service.memory)."""

import subprocess
import sys
import textwrap

import pytest

# Blocks of a few MB freed after a bigger one, with small live blocks between them: the
# pattern of a batch request. By default glibc serves them from the heap and keeps the holes.
CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    if sys.argv[1] == "tuned":
        from service.memory import return_freed_memory
        assert return_freed_memory()
    def rss_mb():
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmRSS"))
        return int(line.split()[1]) / 1024
    before = rss_mb()
    big = np.ones(8 << 20, np.uint8)
    del big
    held, kept = [], []
    for _ in range(20):
        held.append(np.ones(3 << 20, np.uint8))
        kept.append(bytes(2000))
    del held
    print(rss_mb() - before)
    """
)


def grown_mb(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True
    )
    return float(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc only")
def test_freed_blocks_of_a_few_mb_go_back_to_the_system() -> None:
    assert grown_mb("default") > 40  # the test can fail: untuned, the 60 MB stay
    assert grown_mb("tuned") < 10


def test_the_app_factory_tunes_malloc(monkeypatch: pytest.MonkeyPatch) -> None:
    from service import app

    calls: list[bool] = []
    monkeypatch.setattr(app, "return_freed_memory", lambda: calls.append(True) or True)
    app.create_app()
    assert calls == [True]


def test_a_local_or_ray_engine_tunes_malloc(monkeypatch: pytest.MonkeyPatch) -> None:
    from service import local

    calls: list[bool] = []
    monkeypatch.setattr(local, "return_freed_memory", lambda: calls.append(True) or True)
    local.LocalBackend(None, threads=1)  # what each Ray actor makes (service.ray_engine)
    assert calls == [True]
