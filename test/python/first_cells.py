"""Cells sent the moment a tsp2p kernel is spawned, as Notebook sends the first one: argv[1] launches, each
starting the kernel with jupyter_client and executing a typed cell (and, every other launch, one that does
not type-check) at once, before anything says the kernel is ready. What the cell made is read from its
reply (user_expressions), not from iopub: a SUB socket that joined late misses what was published before
(ZeroMQ's slow joiner, the client's). Prints one JSON object: {"launches": [{"expected", "status",
"value", "evalue", "seconds"}]}. The kernel is found through JUPYTER_PATH.
"""
import json
import sys
import time

from jupyter_client.manager import KernelManager

GOOD = ("const x: number = 1; x + 1", "ok")
BAD = ('const y: number = "one"; y', "error")


def first_cell(code):
    started = time.monotonic()
    km = KernelManager(kernel_name="tsp2p")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        msg_id = kc.execute(code, user_expressions={"value": "x + 1"})
        while True:
            msg = kc.get_shell_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        content = msg["content"]
        value = content.get("user_expressions", {}).get("value", {}).get("data", {}).get("text/plain")
        return {"status": content["status"], "value": value, "evalue": content.get("evalue"), "seconds": time.monotonic() - started}
    except Exception as err:  # noqa: BLE001 - the test reports what happened
        return {"status": "no reply", "error": repr(err), "seconds": time.monotonic() - started}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


launches = []
for i in range(int(sys.argv[1])):
    code, expected = BAD if i % 2 else GOOD
    launches.append({"expected": expected, **first_cell(code)})
print(json.dumps({"launches": launches}))
