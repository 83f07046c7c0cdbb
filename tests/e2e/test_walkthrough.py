"""docs/walkthrough.md, executed: every command in it runs against a fresh 3-node cluster and
must print what the document shows (see walkthrough.py for how output is compared)."""
import os
import random

import pytest

from cluster import BIN, Cluster, free_ranges
import walkthrough

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="swiftlet up needs root (network namespaces)")

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "walkthrough.md")


def test_walkthrough_runs_as_written():
    c = Cluster(nodes=3)  # not started here: the walkthrough's first command starts it
    # Ranges as large as the defaults the document shows, so addresses translate one to one
    # (and print as wide, so kubectl's columns line up as they would).
    c.node_cidr, c.pod_cidr, c.service_cidr = free_ranges(lambda: (
        f"172.29.{random.randrange(256)}.0/24", f"10.{random.randrange(200, 250)}.0.0/16", f"10.{random.choice((16, 32, 48, 64, 80))}.0.0/12"))
    session = walkthrough.Session(c, BIN, workdir=c.tmp)
    try:
        updated = walkthrough.run(DOC, session)
        if updated is not None:
            with open(DOC, "w") as f:
                f.write(updated)
    finally:
        session.close()
        c.close()
    assert not any(c.leftovers().values()), c.leftovers()
