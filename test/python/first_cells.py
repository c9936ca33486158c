"""Cells sent the moment a tsp2p kernel is spawned, as Notebook sends the first one: argv[1] launches, each
starting the kernel with jupyter_client and executing a typed cell (and, every other launch, one that does
not type-check) at once, before anything says the kernel is ready. Prints one JSON object:
{"launches": [{"status", "result", "evalue", "seconds"}]}. The kernel is found through JUPYTER_PATH.
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
        msg_id = kc.execute(code)
        result = None
        # The reply on shell comes after everything the cell published; iopub is read after it (a SUB socket
        # may have joined late and missed the result: that is ZeroMQ's, not the kernel's).
        while True:
            msg = kc.get_shell_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        seconds = time.monotonic() - started
        while True:
            try:
                out = kc.get_iopub_msg(timeout=0.5)
            except Exception:
                break
            if out["parent_header"].get("msg_id") == msg_id and out["msg_type"] == "execute_result":
                result = out["content"]["data"]["text/plain"]
        content = msg["content"]
        return {"status": content["status"], "result": result, "evalue": content.get("evalue"), "seconds": seconds}
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
