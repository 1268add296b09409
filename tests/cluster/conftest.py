"""The cluster of tests/cluster: a throwaway PostgreSQL database, node 1 made by
``anxin init`` on it, nodes 2 and 3 joined (:func:`tests.cluster.nodes.join_node`), three
``anxin serve`` processes and HAProxy in front, and an institution registered by
``anxin institution add``. PostgreSQL only (a cluster shares one database server);
without HAProxy the fixture fails when ``ANXIN_REQUIRE_ALL_TESTS=1``, else skips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cluster.nodes import HAProxy, Node, anxin, free_port, haproxy_binary, join_node, node_env
from tests.common.backends import require_postgres, throwaway_postgres, unavailable


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/cluster/" in item.nodeid:
            item.add_marker(pytest.mark.postgres)
            item.add_marker(pytest.mark.slow)


@dataclass
class Cluster:
    db_url: str
    env: dict[str, str]
    nodes: list[Node]
    proxy: HAProxy
    api_key: str
    institution_id: str


def _haproxy() -> str:
    found = haproxy_binary()
    if found is None:
        unavailable("no haproxy: run scripts/system-deps.sh")
    return found


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    binary = _haproxy()
    work = tmp_path_factory.mktemp("cluster")
    proxy = HAProxy(binary, work, free_port())
    with throwaway_postgres(require_postgres()) as db_url:
        env = node_env(db_url, proxy.url)
        first = work / "node1" / "data"
        made = anxin(env, "init", "--data-dir", str(first))
        assert made.returncode == 0, made.stdout + made.stderr
        for n in (2, 3):
            join_node(first, work / f"node{n}" / "data", db_url, env)
        added = anxin(env, "institution", "add", "Cluster Bank", "--code",
                      "91110000100000000X", "--json", "--data-dir", str(first))
        assert added.returncode == 0, added.stdout + added.stderr
        inst = json.loads(added.stdout.strip().splitlines()[-1])
        nodes = [Node(f"node{n}", work / f"node{n}" / "data", free_port(), env)
                 for n in (1, 2, 3)]
        try:
            for node in nodes:
                node.start()
            for node in nodes:
                node.wait_ready()
            proxy.start(nodes)
            yield Cluster(db_url, env, nodes, proxy, inst["api_key"], inst["id"])
        finally:
            proxy.stop()
            for node in nodes:
                node.stop()


def data_dirs(cluster: Cluster) -> list[Path]:
    return [n.data_dir for n in cluster.nodes]
