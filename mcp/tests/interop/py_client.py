"""Drives `courier mcp` with the official Python MCP SDK (mcp==2.3.0) and checks what it gets.

Usage: python py_client.py [--mode auto|legacy|2026-07-28] -- CMD ARGS...

It initializes (or discovers, per mode), lists the tools following nextCursor, calls `echo`
and `topology` and checks their structured results, calls `echo` with bad arguments and
expects an isError result. Prints what it saw; exits 1 on the first failed check, 0 if all
pass. (Adapted from research/mcp.md Appendix A.)
"""

import argparse
import asyncio
import json
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters


def dump(o):
    return o.model_dump(mode="json", by_alias=True, exclude_none=True) if hasattr(o, "model_dump") else o


def check(condition, what):
    if not condition:
        print(f"CHECK FAILED: {what}", flush=True)
        sys.exit(1)


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="auto")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    params = StdioServerParameters(command=cmd[0], args=cmd[1:])
    async with Client(params, mode=a.mode, read_timeout_seconds=30) as client:
        print("protocol_version:", client.protocol_version)
        print("server_info:", json.dumps(dump(client.server_info)))
        expected = "2025-11-25" if a.mode == "legacy" else "2026-07-28"
        check(client.protocol_version == expected, f"protocol version {expected}")
        # Pinned to 2026-07-28 the client skips server/discover, so it has no server info yet.
        if a.mode != "2026-07-28":
            check(client.server_info is not None and client.server_info.name == "courier", "server name courier")

        tools, cursor, pages = [], None, 0
        while True:
            res = await client.list_tools(cursor=cursor)
            pages += 1
            tools.extend(res.tools)
            cursor = res.next_cursor
            if cursor is None:
                break
        names = [t.name for t in tools]
        print(f"tools ({len(tools)} in {pages} page(s)):", ", ".join(names))
        check({"analyze", "echo", "topology", "runtime_stats", "supervision_tree"} <= set(names), "analyze, echo, topology, runtime_stats and supervision_tree are listed")
        for t in tools:
            check(t.input_schema.get("type") == "object", f"{t.name} input schema is an object")
            check(t.output_schema is not None, f"{t.name} has an output schema")

        echo = await client.call_tool("echo", {"message": "hello from python"})
        print("call echo:", json.dumps(dump(echo)))
        check(not echo.is_error, "echo succeeds")
        check(echo.structured_content == {"message": "hello from python"}, "echo returns its input")
        check(json.loads(echo.content[0].text) == echo.structured_content, "echo text mirror")

        topo = await client.call_tool("topology", {})
        print("call topology:", json.dumps(dump(topo))[:300], "...")
        check(not topo.is_error, "topology succeeds")
        sc = topo.structured_content
        check(isinstance(sc.get("workers"), list) and len(sc["workers"]) >= 1, "topology lists workers")
        check(isinstance(sc.get("nodes"), list) and len(sc["nodes"]) >= 1, "topology lists nodes")
        check(sc.get("this_machine") is True, "topology is of this machine")

        stats = await client.call_tool("runtime_stats", {})
        print("call runtime_stats:", json.dumps(dump(stats))[:300], "...")
        check(not stats.is_error, "runtime_stats succeeds")
        check(len(stats.structured_content.get("workers", [])) >= 1, "runtime_stats lists workers")

        code = "import os\ndef f(x):\n    if x and x > 1:\n        return os.sep\n"
        analysis = await client.call_tool("analyze", {"code": code, "language": "python"})
        print("call analyze:", json.dumps(dump(analysis))[:300], "...")
        check(not analysis.is_error, "analyze succeeds")
        check(analysis.structured_content.get("imports") == ["os"], "analyze finds the import")
        check(analysis.structured_content.get("complexity") == 3, "analyze counts if and and")

        trees = await client.call_tool("supervision_tree", {})
        print("call supervision_tree:", json.dumps(dump(trees))[:300], "...")
        check(not trees.is_error, "supervision_tree succeeds")
        supervisors = trees.structured_content.get("supervisors", [])
        check([s.get("id") for s in supervisors] == ["analyze"], "supervision_tree shows the analyze pool")
        check(all(c.get("status") == "running" for c in supervisors[0].get("children", [])), "its children run")

        bad = await client.call_tool("echo", {"wrong": 1})
        print("call echo (bad arguments):", json.dumps(dump(bad)))
        check(bad.is_error, "bad arguments give an isError result")

        print("all checks passed")
        return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
