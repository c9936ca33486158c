"""A tsp2p kernel driven by Debian's jupyter_client, one request per stdin line, one JSON answer per line.

Lets a Node test set up a world (DHT, host, workers) and then talk to the kernel exactly as Jupyter does.
Requests: {"code": "...", "timeout": 60, "interrupt_after": 1.0}, {"shell": "complete", "args": [code, pos]}
(any KernelClient shell method: complete, inspect, is_complete) or {"shutdown": true}. Answers:
{"reply": {...}, "outputs": [{"type", "content"}], "seconds": s}, or the shell reply's content. The kernel inherits this process's
environment (TSP2P_HOME, TSP2P_BOOTSTRAP) and is found through JUPYTER_PATH.
"""
import json
import sys
import threading
import time

from jupyter_client.manager import start_new_kernel

km, kc = start_new_kernel(kernel_name="tsp2p", startup_timeout=60)
print(json.dumps({"ready": True, "pid": km.provisioner.process.pid}), flush=True)


def run(request):
    outputs = []
    if request.get("interrupt_after"):
        threading.Timer(request["interrupt_after"], km.interrupt_kernel).start()
    started = time.time()
    try:
        reply = kc.execute_interactive(
            request["code"],
            output_hook=lambda m: outputs.append({"type": m["msg_type"], "content": m["content"], "at": time.time() - started}),
            timeout=request.get("timeout", 60),
        )
        content = reply["content"]
    except TimeoutError as err:
        content = {"status": "timeout", "message": str(err)}
    kept = [o for o in outputs if o["type"] not in ("status", "execute_input")]
    return {"reply": content, "outputs": kept, "seconds": time.time() - started}


try:
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("shutdown"):
            break
        if request.get("shell"):
            getattr(kc, request["shell"])(*request.get("args", []))
            print(json.dumps(kc.get_shell_msg(timeout=30)["content"]), flush=True)
            continue
        print(json.dumps(run(request)), flush=True)
finally:
    km.shutdown_kernel(now=False)
    kc.stop_channels()
    print(json.dumps({"shutdown": True, "alive": km.is_alive()}), flush=True)
